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
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(10);

    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer _poll;
    private readonly Lock _reloading = new();
    private volatile Served _current;
    private string _fingerprint;

    public CertificateReloader(string certificatePath, string keyPath)
    {
        _certificatePath = Path.GetFullPath(certificatePath);
        _keyPath = Path.GetFullPath(keyPath);
        (_current, _fingerprint) = Load();
        var folder = Path.GetDirectoryName(_certificatePath)!;
        try
        {
            _watcher = new FileSystemWatcher(folder) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.CreationTime };
            _watcher.Changed += (_, _) => Reload();
            _watcher.Created += (_, _) => Reload();
            _watcher.Renamed += (_, _) => Reload();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // Polling below still notices the change.
            _watcher = null;
        }

        // Watch events can be missed (inotify limits, symlink swaps on some file systems): poll as well.
        _poll = new Timer(_ => Reload(), null, PollInterval, PollInterval);
    }

    /// <summary>The current certificate with its chain, ready for a TLS handshake.</summary>
    public SslStreamCertificateContext Context => _current.Context;

    /// <summary>Where reloads are reported; set once the host's logging is up.</summary>
    public ILogger? Logger { get; set; }

    public void Reload()
    {
        lock (_reloading)
        {
            try
            {
                if (Fingerprint() == _fingerprint)
                {
                    return;
                }

                var (served, fingerprint) = Load();
                _current = served;
                _fingerprint = fingerprint;
                Logger?.LogInformation(
                    "Serving certificate reloaded from {CertificatePath}: {Subject}, expires {NotAfter:O}",
                    _certificatePath, served.Certificate.Subject, served.Certificate.NotAfter.ToUniversalTime());
            }
            catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
            {
                Logger?.LogWarning("Serving certificate not reloaded, keeping the current one: {Error}", e.Message);
            }
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _poll.Dispose();
    }

    private (Served Served, string Fingerprint) Load()
    {
        var fingerprint = Fingerprint();
        using var pem = X509Certificate2.CreateFromPemFile(_certificatePath, _keyPath);

        // Exported and re-imported: SslStream on some platforms cannot use an ephemeral PEM key.
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var inFile = new X509Certificate2Collection();
        inFile.ImportFromPemFile(_certificatePath);
        var intermediates = new X509Certificate2Collection();
        foreach (var other in inFile)
        {
            if (other.Thumbprint != certificate.Thumbprint)
            {
                intermediates.Add(other);
            }
        }

        // Offline: the chain is what the file holds (and the system store), never fetched from the network.
        var context = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
        return (new Served(certificate, context), fingerprint);
    }

    private sealed record Served(X509Certificate2 Certificate, SslStreamCertificateContext Context);

    private string Fingerprint() =>
        Convert.ToHexString(SHA256.HashData([.. File.ReadAllBytes(_certificatePath), .. File.ReadAllBytes(_keyPath)]));
}
