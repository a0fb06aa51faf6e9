using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace AdmissionGuard.Hosting;

/// <summary>
/// <c>AdmissionGuard:Webhook:ClientCa</c>: the CAs whose client certificates may connect to the webhook port
/// (the API server's, given to it through its admission configuration). Any other client is refused during
/// the TLS handshake, before a byte of HTTP is read, and each refusal is logged once with its reason.
/// </summary>
/// <remarks>
/// Only the file's CAs are trusted, never the system's: a certificate any public CA issued must not pass.
/// Nothing is fetched (no intermediates from the certificate's URLs, no revocation lists): a client that is no
/// longer wanted is shut out by replacing its CA. The file is re-read when it changes, as the serving
/// certificate is; a file that no longer holds a certificate is ignored and the CAs in use stay.
/// </remarks>
public sealed class WebhookClientAuthority : IDisposable
{
    public const string Setting = $"{GuardOptions.Section}:Webhook:ClientCa";

    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    // Subjects come from the client: bounded, so that a refusal stays one short line whatever it sends.
    private const int MaxNameLength = 160;
    private const int MaxReasonLength = 600;

    private readonly string _path;
    private readonly FolderWatch _watch;
    private readonly Lock _reloading = new();
    private volatile X509Certificate2Collection _authorities;
    private string _fingerprint;

    // Null until the host's logging is up.
    private ILogger? _logger;

    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read.</exception>
    /// <exception cref="CryptographicException">The file holds no PEM certificate, a broken one, or no root CA.</exception>
    public WebhookClientAuthority(string path)
    {
        _path = Path.GetFullPath(path);
        (_authorities, _fingerprint) = Read();
        _watch = new FolderWatch(Path.GetDirectoryName(_path)!, Reload);
    }

    /// <summary>Reports through <paramref name="logger"/> from now on, starting with the CAs in force.</summary>
    public void ReportTo(ILogger logger)
    {
        _logger = logger;
        logger.LogInformation("Webhook port requires a client certificate from {Authorities} ({ClientCaPath})", Describe(_authorities), _path);
    }

    /// <summary>Makes this handshake ask for a client certificate and accept only one the configured CAs issued.</summary>
    public void Require(SslServerAuthenticationOptions tls, EndPoint? remote)
    {
        tls.ClientCertificateRequired = true;
        tls.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;

        // TLS builds the client's chain with this policy once; the callback only reads the outcome.
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(_authorities);
        policy.ApplicationPolicy.Add(new Oid(ClientAuthentication));
        tls.CertificateChainPolicy = policy;
        tls.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Accept(certificate, chain, errors, remote);
    }

    public void Reload()
    {
        lock (_reloading)
        {
            try
            {
                var (authorities, fingerprint) = Read();
                if (fingerprint == _fingerprint)
                {
                    return;
                }

                // The previous collection is not disposed: a handshake under way may still be reading it.
                _authorities = authorities;
                _fingerprint = fingerprint;
                _logger?.LogInformation("Webhook client CAs reloaded from {ClientCaPath}: {Authorities}", _path, Describe(authorities));
            }
            catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
            {
                _logger?.LogWarning("Webhook client CAs not reloaded from {ClientCaPath}, keeping the current ones: {Error}", _path, OneLine(e.Message));
            }
        }
    }

    public void Dispose() => _watch.Dispose();

    private static string Describe(X509Certificate2Collection authorities) =>
        string.Join("; ", authorities.Select(authority => Bounded(authority.Subject)));

    private bool Accept(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, EndPoint? remote)
    {
        if (certificate is not null && errors == SslPolicyErrors.None)
        {
            return true;
        }

        _logger?.LogWarning(
            "Webhook connection from {RemoteAddress} refused at the TLS handshake: {Reason}",
            remote?.ToString() ?? "unknown", Refusal(certificate, chain, errors));
        return false;
    }

    private static string Refusal(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return $"no client certificate (the API server presents one only when its admission configuration gives it one; see {Setting})";
        }

        var client = $"client certificate {Bounded(certificate.Subject)} (issuer {Bounded(certificate.Issuer)})";
        var status = chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, one) => all | one.Status) ?? X509ChainStatusFlags.NoError;
        if ((status & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotSignatureValid | X509ChainStatusFlags.ExplicitDistrust)) != 0)
        {
            return $"{client} is not issued by a CA in {Setting}";
        }

        if ((status & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            var leaf = certificate as X509Certificate2;
            var now = DateTime.UtcNow;
            return leaf is not null && leaf.NotAfter.ToUniversalTime() < now ? $"{client} expired at {leaf.NotAfter.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}"
                : leaf is not null && leaf.NotBefore.ToUniversalTime() > now ? $"{client} is not valid before {leaf.NotBefore.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}"
                : $"{client} has a CA certificate outside its validity dates in its chain";
        }

        if ((status & X509ChainStatusFlags.NotValidForUsage) != 0)
        {
            return $"{client} is not for client authentication (its extended key usage lacks clientAuth)";
        }

        var details = chain is null ? "" : string.Join("; ", chain.ChainStatus.Select(one => one.StatusInformation.Trim()).Distinct());
        return Bounded($"{client} is not accepted: {(details.Length > 0 ? details : errors.ToString())}", MaxReasonLength);
    }

    private (X509Certificate2Collection Authorities, string Fingerprint) Read()
    {
        var pem = File.ReadAllText(_path);
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPem(pem);
        if (authorities.Count == 0)
        {
            throw new CryptographicException("the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }

        // A chain is trusted only when it ends at a self-signed certificate of the file: without one, every
        // client would be refused, which is better said at start-up than found out from the API server.
        if (!authorities.Any(authority => authority.SubjectName.RawData.AsSpan().SequenceEqual(authority.IssuerName.RawData)))
        {
            throw new CryptographicException("the file holds no root CA (a self-signed certificate); add the root that issued its intermediates");
        }

        return (authorities, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(pem))));
    }

    private static string Bounded(string text, int length = MaxNameLength)
    {
        var line = OneLine(text);
        return line.Length <= length ? line : line[..length] + "...";
    }

    private static string OneLine(string text) =>
        string.Create(text.Length, text, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
}
