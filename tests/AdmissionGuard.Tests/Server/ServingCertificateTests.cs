using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Server;

/// <summary>What the webhook's TLS listener presents and speaks, seen from a real client.</summary>
public sealed class ServingCertificateTests
{
    [Fact]
    public async Task The_intermediates_in_the_certificate_file_are_sent_so_a_caBundle_of_the_root_alone_is_enough()
    {
        using var repository = new GitRepository();
        using var tls = new TempDirectory();
        var commit = repository.Commit(GitOpsRepository.Files());
        using var chain = IssuedThroughIntermediate.WriteTo(tls.Path);
        await using var host = await GuardHost.StartAsync(repository.Path, configuration: GuardHost.ServedWith(tls.Path));
        await host.WaitForCommitAsync(commit);

        var sent = new List<string>();
        using var handler = new HttpClientHandler
        {
            // As the API server checks a webhook: only the caBundle's root is trusted, the rest must come from the server.
            ServerCertificateCustomValidationCallback = (_, certificate, presented, _) =>
            {
                using var verify = new X509Chain();
                verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                verify.ChainPolicy.CustomTrustStore.Add(chain.Root);
                verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                foreach (var other in presented!.ChainPolicy.ExtraStore)
                {
                    sent.Add(other.Subject);
                    verify.ChainPolicy.ExtraStore.Add(other);
                }

                return certificate is not null && verify.Build(certificate);
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = host.WebhookAddress };

        using var response = await client.PostAsync("/validate", Review());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(chain.Intermediate.Subject, sent);
    }

    [Fact]
    public async Task The_webhook_answers_over_HTTP2_which_the_API_server_negotiates_when_offered()
    {
        using var repository = new GitRepository();
        var commit = repository.Commit(GitOpsRepository.Files());
        await using var host = await GuardHost.StartAsync(repository.Path);
        await host.WaitForCommitAsync(commit);
        using var client = DevCertificates.TrustingClient(host.WebhookAddress);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/validate")
        {
            Content = Review(),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Contains("\"allowed\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_certificate_not_meant_for_serving_stops_start_up_with_one_line_naming_the_file()
    {
        using var repository = new GitRepository();
        using var tls = new TempDirectory();
        repository.Commit(GitOpsRepository.Files());
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=admissionguard-client", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var clientOnly = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(tls.Combine("tls.crt"), clientOnly.ExportCertificatePem() + "\n");
        File.WriteAllText(tls.Combine("tls.key"), key.ExportPkcs8PrivateKeyPem() + "\n");

        var error = await Assert.ThrowsAsync<AdmissionGuard.Hosting.InvalidSettingsException>(() => GuardHost.StartAsync(repository.Path, configuration: GuardHost.ServedWith(tls.Path)));

        var problem = Assert.Single(error.Problems);
        Assert.Contains($"{tls.Combine("tls.crt")} is not a serving certificate: its extended key usage lacks serverAuth", problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public async Task The_expiry_of_the_certificate_in_force_is_exported_and_follows_a_reload()
    {
        using var repository = new GitRepository();
        using var tls = new TempDirectory();
        var commit = repository.Commit(GitOpsRepository.Files());
        var firstExpiry = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(10).ToUnixTimeSeconds());
        var renewedExpiry = firstExpiry.AddDays(80);
        WriteServing(tls.Path, firstExpiry, "tls");
        await using var host = await GuardHost.StartAsync(repository.Path, configuration: GuardHost.ServedWith(tls.Path));
        await host.WaitForCommitAsync(commit);
        const string Series = "admissionguard_serving_certificate_expiry_timestamp_seconds";

        var before = MetricsTests.Value(await host.Ops.GetStringAsync("/metrics"), Series);

        // Renewed as the kubelet updates a Secret volume: new files renamed into place.
        WriteServing(tls.Path, renewedExpiry, "new");
        File.Move(tls.Combine("new.key"), tls.Combine("tls.key"), overwrite: true);
        File.Move(tls.Combine("new.crt"), tls.Combine("tls.crt"), overwrite: true);
        var after = before;
        for (var attempt = 0; attempt < 300 && after == before; attempt++)
        {
            await Task.Delay(100);
            after = MetricsTests.Value(await host.Ops.GetStringAsync("/metrics"), Series);
        }

        Assert.Equal(firstExpiry.ToUnixTimeSeconds(), before);
        Assert.Equal(renewedExpiry.ToUnixTimeSeconds(), after);
    }

    /// <summary>A self-signed serving certificate for 127.0.0.1 that expires at <paramref name="notAfter"/>, as NAME.crt and NAME.key.</summary>
    private static void WriteServing(string folder, DateTimeOffset notAfter, string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=admissionguard.admissionguard.svc", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), notAfter);
        File.WriteAllText(Path.Combine(folder, name + ".crt"), certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(folder, name + ".key"), key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    private static StringContent Review() =>
        new(Reviews.Load("create").ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    /// <summary>A root CA, an intermediate CA it signed, and a serving certificate the intermediate signed, as cert-manager issues them.</summary>
    private sealed class IssuedThroughIntermediate : IDisposable
    {
        private IssuedThroughIntermediate(X509Certificate2 root, X509Certificate2 intermediate) => (Root, Intermediate) = (root, intermediate);

        public X509Certificate2 Root { get; }

        public X509Certificate2 Intermediate { get; }

        /// <summary>Writes tls.crt (serving certificate, then the intermediate) and tls.key into <paramref name="folder"/>.</summary>
        public static IssuedThroughIntermediate WriteTo(string folder)
        {
            var now = DateTimeOffset.UtcNow;
            using var rootKey = RSA.Create(2048);
            var root = Authority("CN=test-root", rootKey).CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

            using var intermediateKey = RSA.Create(2048);
            using var intermediateSigned = Authority("CN=test-intermediate", intermediateKey).Create(root, now.AddMinutes(-4), now.AddHours(23), RandomNumberGenerator.GetBytes(16));
            var intermediate = intermediateSigned.CopyWithPrivateKey(intermediateKey);

            using var key = RSA.Create(2048);
            var serving = new CertificateRequest("CN=admissionguard.admissionguard.svc", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            serving.CertificateExtensions.Add(names.Build());
            serving.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            serving.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var leaf = serving.Create(intermediate, now.AddMinutes(-3), now.AddHours(22), RandomNumberGenerator.GetBytes(16));

            File.WriteAllText(Path.Combine(folder, "tls.crt"), leaf.ExportCertificatePem() + "\n" + intermediate.ExportCertificatePem() + "\n");
            File.WriteAllText(Path.Combine(folder, "tls.key"), key.ExportPkcs8PrivateKeyPem() + "\n");
            return new IssuedThroughIntermediate(root, intermediate);
        }

        public void Dispose()
        {
            Root.Dispose();
            Intermediate.Dispose();
        }

        private static CertificateRequest Authority(string subject, RSA key)
        {
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            return request;
        }
    }
}
