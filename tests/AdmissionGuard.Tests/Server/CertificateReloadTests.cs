using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Server;

/// <summary>The serving certificate rotated on disk, as a Secret update does, under a running server.</summary>
public sealed class CertificateReloadTests
{
    [Fact]
    public async Task A_rotated_certificate_is_served_without_a_restart_and_requests_keep_succeeding()
    {
        using var repository = new GitRepository();
        using var tls = new TempDirectory();
        using var rotated = new TempDirectory();
        var commit = repository.Commit(GitOpsRepository.Files());
        File.Copy(DevCertificates.CertificatePath, tls.Combine("tls.crt"));
        File.Copy(DevCertificates.KeyPath, tls.Combine("tls.key"));
        Processes.Run("bash", RepositoryRoot.Path, Path.Combine("certs-dev", "make-certs.sh"), rotated.Path);
        var before = X509CertificateLoader.LoadCertificateFromFile(tls.Combine("tls.crt")).SerialNumber;
        var after = X509CertificateLoader.LoadCertificateFromFile(rotated.Combine("tls.crt")).SerialNumber;
        await using var host = await GuardHost.StartAsync(repository.Path, configuration: GuardHost.ServedWith(tls.Path));
        await host.WaitForCommitAsync(commit);
        var authorities = new[] { DevCertificates.Authority, X509CertificateLoader.LoadCertificateFromFile(rotated.Combine("ca.crt")) };
        var served = new ConcurrentBag<string>();
        var statuses = new ConcurrentBag<HttpStatusCode>();

        Assert.Equal(before, await ServedSerial(host.WebhookAddress, authorities, served, statuses));

        using var traffic = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            while (!traffic.IsCancellationRequested)
            {
                await ServedSerial(host.WebhookAddress, authorities, served, statuses);
            }
        });

        // The kubelet swaps a Secret volume's files by renaming; do the same.
        File.Copy(rotated.Combine("tls.key"), tls.Combine("tls.key.new"));
        File.Copy(rotated.Combine("tls.crt"), tls.Combine("tls.crt.new"));
        File.Move(tls.Combine("tls.key.new"), tls.Combine("tls.key"), overwrite: true);
        File.Move(tls.Combine("tls.crt.new"), tls.Combine("tls.crt"), overwrite: true);
        for (var attempt = 0; attempt < 300 && !served.Contains(after); attempt++)
        {
            await Task.Delay(100);
        }

        await traffic.CancelAsync();
        await load;

        Assert.Contains(after, served);
        Assert.Equal(after, await ServedSerial(host.WebhookAddress, authorities, served, statuses));
        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.True(statuses.Count > 2);
    }

    /// <summary>One /validate call on a new connection; returns the serial number of the certificate the server presented.</summary>
    private static async Task<string> ServedSerial(Uri address, X509Certificate2[] authorities, ConcurrentBag<string> served, ConcurrentBag<HttpStatusCode> statuses)
    {
        string? serial = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                serial = certificate?.SerialNumber;
                return certificate is not null && chain.Build(certificate);
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = address };
        using var response = await client.PostAsync("/validate?timeout=5s", new StringContent(Reviews.Load("create").ToJsonString(), Encoding.UTF8, "application/json"));
        statuses.Add(response.StatusCode);
        served.Add(serial!);
        return serial!;
    }
}
