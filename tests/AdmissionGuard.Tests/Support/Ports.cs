using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace AdmissionGuard.Tests.Support;

public static class Ports
{
    private static readonly ConcurrentDictionary<int, bool> HandedOut = new();

    /// <summary>
    /// A loopback port that was free a moment ago, and never handed out before in this test run: tests run in
    /// parallel, and two of them must not be given the same port between its release here and their bind.
    /// </summary>
    public static int Free()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (HandedOut.TryAdd(port, true))
            {
                return port;
            }
        }
    }

    /// <summary>
    /// Starts a server on ports from <see cref="Free"/> again, on new ports, when another process (a client's
    /// ephemeral port, say) took one between <see cref="Free"/> and the bind; <paramref name="start"/> cleans up
    /// after itself when it fails.
    /// </summary>
    public static async Task<T> RetryWhenTaken<T>(Func<Task<T>> start)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (IOException e) when (attempt < 5 && e.InnerException is AddressInUseException)
            {
                // Another port next time.
            }
        }
    }
}
