using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Tests.Deploy;

/// <summary>With cert-manager: a private CA issues the serving certificate into the Secret the pods mount, and its CA becomes the caBundle.</summary>
public sealed class CertManagerTests
{
    [SkippableTheory]
    [MemberData(nameof(Overlay.WithCertManager), MemberType = typeof(Overlay))]
    public void The_serving_certificate_names_the_webhook_service_and_fills_the_mounted_secret(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var service = rendered.Webhook.Map("clientConfig", "service");
        var host = $"{service.Text("name")}.{service.Text("namespace")}.svc";
        var secretName = rendered.VolumeAt("/etc/admissionguard/tls").Text("secret", "secretName");

        var serving = ServingCertificate(rendered);
        Assert.Equal(secretName, serving.Text("spec", "secretName"));
        Assert.Equal("admissionguard.admissionguard.svc", host);
        Assert.Contains(host, serving.Texts("spec", "dnsNames"));
        Assert.Contains(host + ".cluster.local", serving.Texts("spec", "dnsNames"));
        Assert.Contains("server auth", serving.Texts("spec", "usages"));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.WithCertManager), MemberType = typeof(Overlay))]
    public void The_serving_certificate_is_issued_by_a_ca_made_by_a_self_signed_issuer(string path)
    {
        var rendered = Overlay.Named(path).Render();

        var caIssuer = IssuerOf(rendered, ServingCertificate(rendered));
        var caSecret = caIssuer.Text("spec", "ca", "secretName");
        var ca = Assert.Single(rendered.OfKind("Certificate"), c => c.Text("spec", "secretName") == caSecret);
        Assert.True(ca.Bool("spec", "isCA"));
        var root = IssuerOf(rendered, ca);
        Assert.True(root.Has("spec", "selfSigned"));
        Assert.Equal(2, rendered.OfKind("Certificate").Count);
        Assert.Equal(2, rendered.OfKind("Issuer").Count);
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.WithCertManager), MemberType = typeof(Overlay))]
    public void The_webhook_gets_its_ca_bundle_from_the_serving_certificate(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var serving = ServingCertificate(rendered);

        Assert.Equal(
            $"{serving.Text("metadata", "namespace")}/{serving.Text("metadata", "name")}",
            rendered.WebhookConfiguration.Text("metadata", "annotations", "cert-manager.io/inject-ca-from"));
        Assert.False(rendered.Webhook.Has("clientConfig", "caBundle"));
    }

    private static YamlMappingNode ServingCertificate(Rendered rendered) =>
        Assert.Single(rendered.OfKind("Certificate"), c => c.TextOrNull("spec", "isCA") != "true");

    private static YamlMappingNode IssuerOf(Rendered rendered, YamlMappingNode certificate)
    {
        var issuer = certificate.Map("spec", "issuerRef");
        Assert.Equal("Issuer", issuer.Text("kind"));
        var found = rendered.Single("Issuer", issuer.Text("name"));
        Assert.Equal(certificate.Text("metadata", "namespace"), found.Text("metadata", "namespace"));
        return found;
    }
}
