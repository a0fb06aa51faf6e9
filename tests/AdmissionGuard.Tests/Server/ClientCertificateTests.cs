using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AdmissionGuard.Hosting;
using AdmissionGuard.Tests.Support;
using Serilog.Events;

namespace AdmissionGuard.Tests.Server;

/// <summary>
/// <c>AdmissionGuard:Webhook:ClientCa</c>: the webhook port answers only clients whose certificate the configured
/// CAs issued (the API server, given one through its admission configuration), seen from real TLS clients.
/// </summary>
public sealed class ClientCertificateTests
{
    private const string Refusal = "Webhook connection from {RemoteAddress} refused at the TLS handshake: {Reason}";

    [Fact]
    public async Task A_client_certificate_from_the_configured_CA_gets_its_review_answered_and_the_ops_port_needs_none()
    {
        using var repository = new GitRepository();
        using var authority = new TestAuthority("api-server-client-ca");
        using var caFolder = new TempDirectory();
        using var apiServer = authority.Issue("kube-apiserver-webhook-client");
        var commit = repository.Commit(GitOpsRepository.Files());
        await using var host = await StartAsync(repository, ClientCa(caFolder, authority.Pem));
        await host.WaitForCommitAsync(commit);
        using var client = TrustingClient(host.WebhookAddress, apiServer);

        using var response = await client.PostAsync("/validate?timeout=5s", Review());
        using var status = await host.Ops.GetAsync("/status");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"AdmissionReview\"", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.Null(await StatusLineAsync(host.WebhookAddress, certificate: null));
        Assert.Contains("CN=api-server-client-ca", Started(host));
    }

    [Fact]
    public async Task An_intermediate_CA_in_the_file_completes_the_chain_of_a_client_that_sends_only_its_own_certificate()
    {
        using var repository = new GitRepository();
        using var root = new TestAuthority("client-root-ca");
        using var intermediate = new TestAuthority("client-intermediate-ca", issuer: root);
        using var caFolder = new TempDirectory();
        using var apiServer = intermediate.Issue("kube-apiserver-webhook-client");
        repository.Commit(GitOpsRepository.Files());
        await using var host = await StartAsync(repository, ClientCa(caFolder, root.Pem + intermediate.Pem));

        Assert.Equal("HTTP/1.1 200 OK", await StatusLineAsync(host.WebhookAddress, apiServer));
        Assert.Null(await StatusLineAsync(host.WebhookAddress, certificate: null));
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused_at_the_handshake_and_logged_once()
    {
        using var repository = new GitRepository();
        using var authority = new TestAuthority("api-server-client-ca");
        using var caFolder = new TempDirectory();
        repository.Commit(GitOpsRepository.Files());
        await using var host = await StartAsync(repository, ClientCa(caFolder, authority.Pem));

        var statusLine = await StatusLineAsync(host.WebhookAddress, certificate: null);

        Assert.Null(statusLine);
        var refusal = await SingleRefusalAsync(host);
        Assert.StartsWith("127.0.0.1:", Property(refusal, "RemoteAddress"), StringComparison.Ordinal);
        Assert.StartsWith("no client certificate", Property(refusal, "Reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_from_another_CA_is_refused()
    {
        using var repository = new GitRepository();
        using var authority = new TestAuthority("api-server-client-ca");
        using var stranger = new TestAuthority("some-other-ca");
        using var caFolder = new TempDirectory();
        using var intruder = stranger.Issue("kube-apiserver-webhook-client");
        repository.Commit(GitOpsRepository.Files());
        await using var host = await StartAsync(repository, ClientCa(caFolder, authority.Pem));

        var statusLine = await StatusLineAsync(host.WebhookAddress, intruder);

        Assert.Null(statusLine);
        var reason = Property(await SingleRefusalAsync(host), "Reason");
        Assert.Equal(
            "client certificate CN=kube-apiserver-webhook-client (issuer CN=some-other-ca) is not issued by a CA in AdmissionGuard:Webhook:ClientCa",
            reason);
    }

    [Fact]
    public async Task An_expired_client_certificate_is_refused()
    {
        using var repository = new GitRepository();
        using var authority = new TestAuthority("api-server-client-ca");
        using var caFolder = new TempDirectory();
        var now = DateTimeOffset.UtcNow;
        using var expired = authority.Issue("kube-apiserver-webhook-client", notBefore: now.AddDays(-1), notAfter: now.AddMinutes(-5));
        repository.Commit(GitOpsRepository.Files());
        await using var host = await StartAsync(repository, ClientCa(caFolder, authority.Pem));

        var statusLine = await StatusLineAsync(host.WebhookAddress, expired);

        Assert.Null(statusLine);
        Assert.Contains("(issuer CN=api-server-client-ca) expired at ", Property(await SingleRefusalAsync(host), "Reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_from_the_CA_that_is_not_for_client_authentication_is_refused()
    {
        using var repository = new GitRepository();
        using var authority = new TestAuthority("api-server-client-ca");
        using var caFolder = new TempDirectory();
        using var servingOnly = authority.Issue("some-server", usage: TestAuthority.ServerAuthentication);
        repository.Commit(GitOpsRepository.Files());
        await using var host = await StartAsync(repository, ClientCa(caFolder, authority.Pem));

        var statusLine = await StatusLineAsync(host.WebhookAddress, servingOnly);

        Assert.Null(statusLine);
        Assert.EndsWith("is not for client authentication (its extended key usage lacks clientAuth)", Property(await SingleRefusalAsync(host), "Reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_ClientCa_a_client_without_a_certificate_is_answered_as_before()
    {
        using var repository = new GitRepository();
        repository.Commit(GitOpsRepository.Files());
        await using var host = await StartAsync(repository, settings: null);

        var statusLine = await StatusLineAsync(host.WebhookAddress, certificate: null);

        Assert.Equal("HTTP/1.1 200 OK", statusLine);
        Assert.DoesNotContain(host.Logs.Events, e => e.MessageTemplate.Text == Refusal);
    }

    [Fact]
    public async Task A_replaced_ClientCa_file_is_used_without_a_restart()
    {
        using var repository = new GitRepository();
        using var before = new TestAuthority("client-ca-before");
        using var after = new TestAuthority("client-ca-after");
        using var caFolder = new TempDirectory();
        using var oldClient = before.Issue("kube-apiserver-webhook-client");
        using var newClient = after.Issue("kube-apiserver-webhook-client");
        repository.Commit(GitOpsRepository.Files());
        await using var host = await StartAsync(repository, ClientCa(caFolder, before.Pem));
        Assert.Equal("HTTP/1.1 200 OK", await StatusLineAsync(host.WebhookAddress, oldClient));
        Assert.Null(await StatusLineAsync(host.WebhookAddress, newClient));

        // The kubelet swaps a ConfigMap volume's files by renaming; do the same.
        File.WriteAllText(caFolder.Combine("ca.crt.new"), after.Pem);
        File.Move(caFolder.Combine("ca.crt.new"), caFolder.Combine("ca.crt"), overwrite: true);
        string? statusLine = null;
        for (var attempt = 0; attempt < 150 && statusLine is null; attempt++)
        {
            await Task.Delay(100);
            statusLine = await StatusLineAsync(host.WebhookAddress, newClient);
        }

        Assert.Equal("HTTP/1.1 200 OK", statusLine);
        Assert.Null(await StatusLineAsync(host.WebhookAddress, oldClient));
    }

    public static TheoryData<string, string?> UnusableClientCaFiles() => new()
    {
        { "missing.crt", null },
        { "not-pem.crt", "this is not a certificate\n" },
        { "key-only.pem", System.Security.Cryptography.ECDsa.Create().ExportPkcs8PrivateKeyPem() + "\n" },
    };

    [Theory]
    [MemberData(nameof(UnusableClientCaFiles))]
    public async Task A_ClientCa_that_cannot_be_used_stops_start_up_with_one_line_naming_the_setting(string name, string? content)
    {
        using var repository = new GitRepository();
        using var caFolder = new TempDirectory();
        repository.Commit(GitOpsRepository.Files());
        var path = caFolder.Combine(name);
        if (content is not null)
        {
            File.WriteAllText(path, content);
        }

        var error = await Assert.ThrowsAsync<InvalidSettingsException>(() => StartAsync(repository, new() { ["Webhook:ClientCa"] = path }));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith($"AdmissionGuard:Webhook:ClientCa: cannot load {path}: ", problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public async Task An_intermediate_CA_without_its_root_stops_start_up_because_no_client_could_be_trusted()
    {
        using var repository = new GitRepository();
        using var root = new TestAuthority("client-root-ca");
        using var intermediate = new TestAuthority("client-intermediate-ca", issuer: root);
        using var caFolder = new TempDirectory();
        repository.Commit(GitOpsRepository.Files());

        var error = await Assert.ThrowsAsync<InvalidSettingsException>(() => StartAsync(repository, ClientCa(caFolder, intermediate.Pem)));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("AdmissionGuard:Webhook:ClientCa: cannot load ", problem, StringComparison.Ordinal);
        Assert.EndsWith("the file holds no root CA (a self-signed certificate); add the root that issued its intermediates", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_ClientCa_is_reported_together_with_the_other_invalid_settings()
    {
        using var repository = new GitRepository();
        using var caFolder = new TempDirectory();
        repository.Commit(GitOpsRepository.Files());

        var error = await Assert.ThrowsAsync<InvalidSettingsException>(
            () => StartAsync(repository, new() { ["Webhook:ClientCa"] = caFolder.Combine("missing.crt"), ["Mode"] = "Audit" }));

        Assert.Equal(2, error.Problems.Count);
        Assert.Contains(error.Problems, problem => problem.StartsWith("AdmissionGuard:Mode: ", StringComparison.Ordinal));
        Assert.Contains(error.Problems, problem => problem.StartsWith("AdmissionGuard:Webhook:ClientCa: ", StringComparison.Ordinal));
    }

    private static Task<GuardHost> StartAsync(GitRepository repository, Dictionary<string, string?>? settings) =>
        GuardHost.StartAsync(repository.Path, settings);

    /// <summary>Writes <paramref name="pem"/> to ca.crt in <paramref name="folder"/> and returns the setting that names it.</summary>
    private static Dictionary<string, string?> ClientCa(TempDirectory folder, string pem)
    {
        File.WriteAllText(folder.Combine("ca.crt"), pem);
        return new() { ["Webhook:ClientCa"] = folder.Combine("ca.crt") };
    }

    /// <summary>
    /// One GET /healthz on a new TLS connection that presents <paramref name="certificate"/> (or none): the response's
    /// status line, or null when the server ended the connection during the handshake.
    /// </summary>
    private static async Task<string?> StatusLineAsync(Uri address, X509Certificate2? certificate)
    {
        using var authority = DevCertificates.Authority;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        await using var tls = new SslStream(tcp.GetStream());
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, served, _, _) => served is not null && IssuedBy(served, authority),

            // Handed over as is: left to choose, TLS would skip a certificate not meant for client authentication.
            LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate!,
        };
        try
        {
            await tls.AuthenticateAsClientAsync(options);
            await tls.WriteAsync("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"u8.ToArray());
            var buffer = new byte[512];
            var read = await tls.ReadAsync(buffer);
            return read == 0 ? null : Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0];
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            // Under TLS 1.3 the client finishes its side first and reads the server's refusal afterwards.
            return null;
        }
    }

    private static HttpClient TrustingClient(Uri address, X509Certificate2 certificate)
    {
        var authority = DevCertificates.Authority;
        var handler = new HttpClientHandler
        {
            ClientCertificateOptions = ClientCertificateOption.Manual,
            ServerCertificateCustomValidationCallback = (_, served, _, _) => served is not null && IssuedBy(served, authority),
        };
        handler.ClientCertificates.Add(certificate);
        return new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static bool IssuedBy(X509Certificate served, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var certificate = X509CertificateLoader.LoadCertificate(served.GetRawCertData());
        return chain.Build(certificate);
    }

    /// <summary>The one refusal logged for the one connection a test made; waits a moment for a second, which must not come.</summary>
    private static async Task<LogEvent> SingleRefusalAsync(GuardHost host)
    {
        for (var attempt = 0; attempt < 100 && !Refusals(host).Any(); attempt++)
        {
            await Task.Delay(50);
        }

        await Task.Delay(200);
        var refusal = Assert.Single(Refusals(host));
        Assert.Equal(LogEventLevel.Warning, refusal.Level);
        return refusal;
    }

    private static IEnumerable<LogEvent> Refusals(GuardHost host) => host.Logs.Events.Where(e => e.MessageTemplate.Text == Refusal);

    private static string Started(GuardHost host) =>
        Assert.Single(host.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Webhook port requires a client certificate", StringComparison.Ordinal)).RenderMessage();

    private static string Property(LogEvent logEvent, string name) =>
        CollectingSink.Scalar(logEvent, name) as string ?? throw new KeyNotFoundException(name);

    private static StringContent Review() => new(Reviews.Load("create").ToJsonString(), Encoding.UTF8, "application/json");
}
