using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AdmissionGuard.Hosting;

/// <summary>
/// Makes the development CA and serving certificate (what <c>certs-dev/make-certs.sh</c> makes with
/// openssl) when the default certificate files are missing, so the first run needs no setup.
/// </summary>
public static class DevelopmentCertificate
{
    public const string DefaultCertificatePath = "certs-dev/tls.crt";
    public const string DefaultKeyPath = "certs-dev/tls.key";

    /// <returns>True when the files were created.</returns>
    public static bool EnsureExists(string certificatePath, string keyPath)
    {
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            return false;
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(certificatePath))!;
        Directory.CreateDirectory(folder);
        var now = DateTimeOffset.UtcNow;

        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=admissionguard-dev-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=admissionguard.admissionguard.svc", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        names.AddDnsName("admissionguard.admissionguard.svc");
        names.AddDnsName("admissionguard.admissionguard.svc.cluster.local");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var serving = request.Create(ca, now.AddMinutes(-5), now.AddYears(1), RandomNumberGenerator.GetBytes(16));

        Write(Path.Combine(folder, "ca.crt"), ca.ExportCertificatePem());
        Write(Path.Combine(folder, "ca.key"), caKey.ExportPkcs8PrivateKeyPem(), secret: true);
        Write(keyPath, key.ExportPkcs8PrivateKeyPem(), secret: true);
        Write(certificatePath, serving.ExportCertificatePem());
        return true;
    }

    private static void Write(string path, string pem, bool secret = false)
    {
        File.WriteAllText(path, pem + "\n");
        if (secret && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
