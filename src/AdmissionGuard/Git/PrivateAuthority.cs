using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LibGit2Sharp;
using LibGit2Sharp.Handlers;

namespace AdmissionGuard.Git;

/// <summary>
/// Lets an HTTPS Git server whose certificate a private CA signed (<c>AdmissionGuard:Git:CaFile</c>) pass
/// where the system's authorities alone refuse it. The server's name is still checked, and the certificate
/// must be meant for serving (serverAuth).
/// </summary>
/// <remarks>libgit2 hands over only the server's own certificate, so the file must hold any intermediate CA too.</remarks>
internal static class PrivateAuthority
{
    public static CertificateCheckHandler Check(string caFile) => (certificate, valid, host) =>
    {
        if (valid)
        {
            return true;
        }

        if (certificate is not CertificateX509 { Certificate: { } presented })
        {
            return false;
        }

        var authorities = Read(caFile);
        try
        {
            return Trusted(presented, host, authorities, caFile);
        }
        finally
        {
            foreach (var authority in authorities)
            {
                authority.Dispose();
            }
        }
    };

    private static bool Trusted(X509Certificate presented, string host, X509Certificate2Collection authorities, string caFile)
    {
        using var server = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.ExtraStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;

        // Only what the file holds: no intermediate fetched from a URL the presented certificate names.
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));

        // Thrown rather than returned: libgit2 would report a refusal only as "user rejected certificate".
        if (!chain.Build(server))
        {
            var problems = string.Join("; ", chain.ChainStatus.Select(status => status.StatusInformation.Trim()).Distinct());
            throw new BaselineLoadException(
                $"the Git server's certificate ({server.Subject}) is trusted neither by this system nor through AdmissionGuard:Git:CaFile {caFile}: {problems}");
        }

        return server.MatchesHostname(host)
            ? true
            : throw new BaselineLoadException($"the Git server's certificate ({server.Subject}) does not name {host}");
    }

    private static X509Certificate2Collection Read(string caFile)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new BaselineLoadException($"cannot read AdmissionGuard:Git:CaFile {caFile}: {e.Message}");
        }

        return authorities.Count > 0
            ? authorities
            : throw new BaselineLoadException($"AdmissionGuard:Git:CaFile {caFile} holds no PEM certificate");
    }
}
