using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Server;

/// <summary>HTTPS Git whose certificate a private CA signed (git's smart HTTP backend behind Kestrel with the development certificate).</summary>
public sealed class GitPrivateAuthorityTests : IAsyncLifetime
{
    private const string Token = "tok-ca-5e1d";
    private readonly GitRepository _repository = new();
    private readonly TempDirectory _files = new();
    private string _commit = "";
    private SmartHttpGitServer? _git;

    private string RepositoryUrl => $"{_git!.BaseUrl}/{Path.GetFileName(_repository.Path)}";

    public async Task InitializeAsync()
    {
        _commit = _repository.Commit(GitOpsRepository.Files());
        File.WriteAllText(_files.Combine("token"), Token);
        _git = await SmartHttpGitServer.StartAsync(Path.GetDirectoryName(_repository.Path)!, "gitops-reader", Token, (DevCertificates.CertificatePath, DevCertificates.KeyPath));
    }

    [SkippableFact]
    public async Task With_the_CA_in_CaFile_the_baseline_loads()
    {
        File.Copy(Path.Combine(DevCertificates.Folder, "ca.crt"), _files.Combine("ca.crt"));
        await using var host = await GuardHost.StartAsync(RepositoryUrl, Settings(_files.Combine("ca.crt")));

        await host.WaitForCommitAsync(_commit);
    }

    [SkippableFact]
    public async Task Without_the_CA_the_fetch_fails_and_says_the_certificate_is_not_trusted()
    {
        await using var host = await GuardHost.StartAsync(RepositoryUrl, Settings(caFile: null));

        var status = await host.WaitForErrorAsync();

        Assert.Null(status["commit"]);
        Assert.Contains("from a CA this system does not know; for a private CA, set AdmissionGuard:Git:CaFile)", status["lastError"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_CaFile_holding_another_CA_does_not_make_the_server_trusted()
    {
        using var other = new TempDirectory();
        Processes.Run("bash", RepositoryRoot.Path, Path.Combine("certs-dev", "make-certs.sh"), other.Path);
        await using var host = await GuardHost.StartAsync(RepositoryUrl, Settings(other.Combine("ca.crt")));

        var status = await host.WaitForErrorAsync();

        Assert.Null(status["commit"]);
        Assert.Contains($"is trusted neither by this system nor through AdmissionGuard:Git:CaFile {other.Combine("ca.crt")}", status["lastError"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("git.example", "1.3.6.1.5.5.7.3.1", "the Git server's certificate (CN=git.example) does not name 127.0.0.1")]
    [InlineData("127.0.0.1", "1.3.6.1.5.5.7.3.2", "the Git server's certificate (CN=127.0.0.1) is trusted neither by this system nor through AdmissionGuard:Git:CaFile")]
    public async Task A_certificate_from_the_CA_for_another_name_or_use_is_refused(string name, string usage, string problem)
    {
        using var elsewhere = new TempDirectory();
        using (var authority = X509Certificate2.CreateFromPemFile(Path.Combine(DevCertificates.Folder, "ca.crt"), Path.Combine(DevCertificates.Folder, "ca.key")))
        using (var key = RSA.Create(2048))
        {
            var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            if (System.Net.IPAddress.TryParse(name, out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(name);
            }

            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
            using var certificate = request.Create(authority, authority.NotBefore, authority.NotAfter, RandomNumberGenerator.GetBytes(16));
            File.WriteAllText(elsewhere.Combine("tls.crt"), certificate.ExportCertificatePem());
            File.WriteAllText(elsewhere.Combine("tls.key"), key.ExportPkcs8PrivateKeyPem());
        }

        await using var other = await SmartHttpGitServer.StartAsync(Path.GetDirectoryName(_repository.Path)!, "gitops-reader", Token, (elsewhere.Combine("tls.crt"), elsewhere.Combine("tls.key")));
        await using var host = await GuardHost.StartAsync($"{other.BaseUrl}/{Path.GetFileName(_repository.Path)}", Settings(Path.Combine(DevCertificates.Folder, "ca.crt")));

        var status = await host.WaitForErrorAsync();

        Assert.Null(status["commit"]);
        Assert.Contains(problem, status["lastError"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_missing_CaFile_is_reported_by_its_setting_name()
    {
        await using var host = await GuardHost.StartAsync(RepositoryUrl, Settings(_files.Combine("missing.crt")));

        var status = await host.WaitForErrorAsync();

        Assert.Contains($"AdmissionGuard:Git:CaFile {_files.Combine("missing.crt")}", status["lastError"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_git is not null)
        {
            await _git.DisposeAsync();
        }

        _repository.Dispose();
        _files.Dispose();
    }

    private Dictionary<string, string?> Settings(string? caFile) => new()
    {
        ["Git:Username"] = "gitops-reader",
        ["Git:TokenFile"] = _files.Combine("token"),
        ["Git:CaFile"] = caFile,
    };
}
