using System.Diagnostics;
using System.Net.Sockets;

namespace AdmissionGuard.Tests.Support;

/// <summary>A real <c>git daemon</c> on 127.0.0.1 serving one repository over git://; stoppable and restartable.</summary>
public sealed class GitDaemon : IDisposable
{
    private readonly string _basePath;
    private readonly string _name;
    private Process? _process;

    public GitDaemon(string repositoryPath)
    {
        _basePath = Path.GetDirectoryName(repositoryPath)!;
        _name = Path.GetFileName(repositoryPath);
        Port = Ports.Free();
        Start();
    }

    public int Port { get; }

    public string Url => $"git://127.0.0.1:{Port}/{_name}";

    public void Start()
    {
        Prerequisite.GitCommand("daemon");
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", $"--port={Port}", $"--base-path={_basePath}", _basePath })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        throw new InvalidOperationException("git daemon did not start");
    }

    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose() => Stop();
}
