using System.Security.Cryptography.X509Certificates;

namespace AdmissionGuard.Tests.Support;

/// <summary>A CA and serving certificate made once per test run by <c>certs-dev/make-certs.sh</c>.</summary>
public static class DevCertificates
{
    private static readonly Lazy<string> Made = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("admissionguard-certs-").FullName;
        Processes.Run("bash", RepositoryRoot.Path, Path.Combine("certs-dev", "make-certs.sh"), folder);
        return folder;
    });

    public static string Folder => Made.Value;

    public static string CertificatePath => Path.Combine(Made.Value, "tls.crt");

    public static string KeyPath => Path.Combine(Made.Value, "tls.key");

    public static X509Certificate2 Authority => X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Made.Value, "ca.crt"));

    /// <summary>An HTTP client that trusts only the development CA.</summary>
    public static HttpClient TrustingClient(Uri baseAddress)
    {
        var authority = Authority;
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }
}
