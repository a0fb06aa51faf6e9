namespace AdmissionGuard.Tests.Deploy;

/// <summary>Every kustomization renders the whole installation, in the guard's namespace, with the overlay's mode and failure stance.</summary>
public sealed class OverlayTests
{
    private static readonly string[] ClusterScoped = ["Namespace", "ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration"];

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Renders_every_object_of_the_installation(string path)
    {
        var rendered = Overlay.Named(path).Render();

        Assert.NotNull(rendered.Find("Namespace", Rendered.Namespace));
        Assert.NotNull(rendered.Find("ServiceAccount", "admissionguard"));
        Assert.NotNull(rendered.Find("ConfigMap", "admissionguard-config"));
        Assert.NotNull(rendered.Find("Deployment", "admissionguard"));
        Assert.NotNull(rendered.Find("PodDisruptionBudget", "admissionguard"));
        Assert.NotNull(rendered.Find("Service", "admissionguard"));
        Assert.NotNull(rendered.Find("Service", "admissionguard-metrics"));
        Assert.NotNull(rendered.Find("NetworkPolicy", "admissionguard"));
        Assert.NotNull(rendered.Find("ValidatingWebhookConfiguration", "admissionguard"));
        Assert.Single(rendered.OfKind("ClusterRole"));
        Assert.Single(rendered.OfKind("Role"));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Every_namespaced_object_lives_in_the_guard_namespace(string path)
    {
        var rendered = Overlay.Named(path).Render();

        Assert.All(
            rendered.Documents.Where(d => !ClusterScoped.Contains(d.Text("kind"))),
            d => Assert.Equal(Rendered.Namespace, d.TextOrNull("metadata", "namespace")));
        Assert.All(
            rendered.Documents.Where(d => ClusterScoped.Contains(d.Text("kind"))),
            d => Assert.False(d.Has("metadata", "namespace"), $"{d.Text("kind")} is cluster-scoped"));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_overlay_sets_the_mode_on_the_deployment_and_nowhere_else(string path)
    {
        var overlay = Overlay.Named(path);
        var rendered = overlay.Render();

        Assert.Equal(overlay.Mode, rendered.EnvValue("AdmissionGuard__Mode"));
        Assert.DoesNotContain("AdmissionGuard__Mode", rendered.Settings.Keys);
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_failure_policy_is_explicit_and_matches_the_overlay(string path)
    {
        var overlay = Overlay.Named(path);
        var webhook = overlay.Render().Webhook;

        Assert.Equal(overlay.FailurePolicy, webhook.Text("failurePolicy"));
        Assert.Equal(overlay.MatchConditions, webhook.Maps("matchConditions").Count > 0);
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Cert_manager_objects_come_only_with_the_cert_manager_overlays(string path)
    {
        var overlay = Overlay.Named(path);
        var rendered = overlay.Render();

        Assert.Equal(overlay.CertManager, rendered.Documents.Any(d => d.Text("apiVersion").StartsWith("cert-manager.io/", StringComparison.Ordinal)));
        Assert.Equal(overlay.CertManager, rendered.WebhookConfiguration.Has("metadata", "annotations", "cert-manager.io/inject-ca-from"));
    }
}
