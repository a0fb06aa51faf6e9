using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AdmissionGuard.Hosting;

/// <summary>
/// The webhook's serving certificate, re-read from its PEM files when they change (a Secret rotated
/// by cert-manager is swapped in through a symlink), without a restart and without touching
/// connections already open. A half-written or broken pair is ignored until it is whole: the
/// certificate in use stays until a good one replaces it.
/// </summary>
/// <remarks>
/// Each certificate is made into one <see cref="SslStreamCertificateContext"/> when it is loaded, with
/// the intermediates that follow it in the certificate file (cert-manager writes the chain there).
/// Handing TLS a certificate per connection instead made it build the chain again on every handshake,
/// and sent no intermediates.
/// </remarks>
public sealed class CertificateReloader : IDisposable
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly FolderWatch _watch;
    private readonly Lock _reloading = new();
    private volatile SslStreamCertificateContext _current;
    private string _fingerprint;

    public CertificateReloader(string certificatePath, string keyPath)
    {
        _certificatePath = Path.GetFullPath(certificatePath);
        _keyPath = Path.GetFullPath(keyPath);
        var pair = Read();
        (_current, _fingerprint) = (Load(pair), pair.Fingerprint);
        _watch = new FolderWatch(Path.GetDirectoryName(_certificatePath)!, Reload);
    }

    /// <summary>The current certificate with its chain, ready for a TLS handshake.</summary>
    public SslStreamCertificateContext Context => _current;

    /// <summary>When the certificate in force expires (its <c>notAfter</c>), for the expiry metric.</summary>
    public DateTimeOffset NotAfter => new(_current.TargetCertificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>Where reloads are reported; set once the host's logging is up.</summary>
    public ILogger? Logger { get; set; }

    public void Reload()
    {
        lock (_reloading)
        {
            try
            {
                var pair = Read();
                if (pair.Fingerprint == _fingerprint)
                {
                    return;
                }

                var loaded = Load(pair);
                _current = loaded;
                _fingerprint = pair.Fingerprint;
                Logger?.LogInformation(
                    "Serving certificate reloaded from {CertificatePath}: {Subject}, expires {NotAfter:O}",
                    _certificatePath, loaded.TargetCertificate.Subject, loaded.TargetCertificate.NotAfter.ToUniversalTime());
            }
            catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
            {
                Logger?.LogWarning("Serving certificate not reloaded, keeping the current one: {Error}", e.Message);
            }
        }
    }

    public void Dispose() => _watch.Dispose();

    /// <summary>Both files read once: a Secret swapped between two reads cannot mix an old and a new file.</summary>
    private PemPair Read()
    {
        var certificate = File.ReadAllText(_certificatePath);
        var key = File.ReadAllText(_keyPath);
        var fingerprint = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(certificate + "\n" + key)));
        return new PemPair(certificate, key, fingerprint);
    }

    private SslStreamCertificateContext Load(PemPair pair)
    {
        using var pem = X509Certificate2.CreateFromPem(pair.Certificate, pair.Key);

        // Exported and re-imported: SslStream on some platforms cannot use an ephemeral PEM key.
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } usages
            && !usages.EnhancedKeyUsages.Cast<Oid>().Any(usage => usage.Value == ServerAuthentication))
        {
            throw new CryptographicException($"{_certificatePath} is not a serving certificate: its extended key usage lacks serverAuth");
        }

        var inFile = new X509Certificate2Collection();
        inFile.ImportFromPem(pair.Certificate);
        var intermediates = new X509Certificate2Collection();
        foreach (var other in inFile)
        {
            if (other.Thumbprint != certificate.Thumbprint)
            {
                intermediates.Add(other);
            }
        }

        // Offline: the chain is what the file holds (and the system store), never fetched from the network.
        return SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
    }

    private sealed record PemPair(string Certificate, string Key, string Fingerprint);
}
