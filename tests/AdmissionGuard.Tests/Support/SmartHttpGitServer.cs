using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AdmissionGuard.Tests.Support;

/// <summary>
/// Git's smart HTTP protocol on a loopback port: Kestrel runs git's own CGI program
/// (<c>git http-backend</c>) for every request, behind HTTP Basic authentication with one
/// user and token. Plain HTTP unless a serving certificate is given.
/// </summary>
public sealed class SmartHttpGitServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SmartHttpGitServer(WebApplication app, string url)
    {
        _app = app;
        BaseUrl = url;
    }

    public string BaseUrl { get; }

    public int Requests { get; private set; }

    public int Unauthorized { get; private set; }

    /// <param name="https">PEM certificate and key files to serve HTTPS with.</param>
    public static async Task<SmartHttpGitServer> StartAsync(string projectRoot, string user, string token, (string Certificate, string Key)? https = null)
    {
        Prerequisite.GitCommand("http-backend");
        var port = Ports.Free();
        var url = $"{(https is null ? "http" : "https")}://127.0.0.1:{port}";
        var builder = WebApplication.CreateSlimBuilder();

        // The test folder's appsettings.json is AdmissionGuard's (its Kestrel endpoints); this server has its own.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            if (https is { } pem)
            {
                // Whatever certificate it is given, even one Kestrel's usual checks would refuse: clients must judge it.
                var certificate = X509Certificate2.CreateFromPemFile(pem.Certificate, pem.Key);
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions { ServerCertificate = certificate }),
                });
            }
        }));
        var app = builder.Build();
        var server = new SmartHttpGitServer(app, url);
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}"));
        app.Run(async context =>
        {
            server.Requests++;
            if (context.Request.Headers.Authorization.ToString() != expected)
            {
                server.Unauthorized++;
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
                return;
            }

            await RunBackend(context, projectRoot, user);
        });
        await app.StartAsync();
        return server;
    }

    private static async Task RunBackend(HttpContext context, string projectRoot, string user)
    {
        var start = new ProcessStartInfo("git", "http-backend")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["GIT_PROJECT_ROOT"] = projectRoot;
        start.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        start.Environment["REQUEST_METHOD"] = context.Request.Method;
        start.Environment["PATH_INFO"] = context.Request.Path.Value ?? "/";
        start.Environment["QUERY_STRING"] = context.Request.QueryString.Value?.TrimStart('?') ?? "";
        start.Environment["CONTENT_TYPE"] = context.Request.ContentType ?? "";
        start.Environment["REMOTE_USER"] = user;
        start.Environment["REMOTE_ADDR"] = "127.0.0.1";
        start.Environment["HTTP_CONTENT_ENCODING"] = context.Request.Headers.ContentEncoding.ToString();
        start.Environment["GIT_PROTOCOL"] = context.Request.Headers["Git-Protocol"].ToString();
        using var backend = Process.Start(start)!;
        _ = backend.StandardError.ReadToEndAsync();
        await context.Request.Body.CopyToAsync(backend.StandardInput.BaseStream);
        backend.StandardInput.Close();

        // CGI output: header lines, a blank line, then the body.
        using var output = new MemoryStream();
        await backend.StandardOutput.BaseStream.CopyToAsync(output);
        await backend.WaitForExitAsync();
        var bytes = output.ToArray();
        var headerEnd = IndexOf(bytes, "\r\n\r\n"u8, out var separator);
        foreach (var line in Encoding.ASCII.GetString(bytes, 0, headerEnd).Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (name, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = int.Parse(value.AsSpan(0, 3), System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                context.Response.Headers.Append(name, value);
            }
        }

        await context.Response.Body.WriteAsync(bytes.AsMemory(headerEnd + separator));
    }

    private static int IndexOf(byte[] bytes, ReadOnlySpan<byte> crlf, out int separatorLength)
    {
        var index = bytes.AsSpan().IndexOf(crlf);
        if (index >= 0)
        {
            separatorLength = crlf.Length;
            return index;
        }

        separatorLength = 2;
        return bytes.AsSpan().IndexOf("\n\n"u8);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
