using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Cluster;

/// <summary>
/// The GitOps object that applied a live policy, from what the tools write on the objects they apply: Flux's
/// <c>kustomize.toolkit.fluxcd.io/name</c> and <c>/namespace</c> labels, Argo CD's tracking annotation
/// (<c>app:group/Kind:namespace/name</c>, the app as <c>namespace_app</c> when Applications live outside Argo CD's
/// namespace) or its <c>app.kubernetes.io/instance</c> label.
/// </summary>
internal sealed record GitOpsOwner(string Group, string Version, string Plural, string Namespace, string Name)
{
    public const string ArgoCdNamespace = "argocd";

    public bool IsFlux => Group == "kustomize.toolkit.fluxcd.io";

    public override string ToString() => IsFlux ? $"Flux Kustomization {Namespace}/{Name}" : $"Argo CD Application {Namespace}/{Name}";

    public static GitOpsOwner? Of(CanonicalPolicy live)
    {
        if (live.Labels.TryGetValue("kustomize.toolkit.fluxcd.io/name", out var flux) && live.Labels.TryGetValue("kustomize.toolkit.fluxcd.io/namespace", out var fluxNamespace))
        {
            return new("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", fluxNamespace, flux);
        }

        if (live.Annotations.TryGetValue("argocd.argoproj.io/tracking-id", out var tracking) && tracking.Split(':')[0] is { Length: > 0 } app)
        {
            var separator = app.IndexOf('_', StringComparison.Ordinal);
            return separator > 0
                ? new("argoproj.io", "v1alpha1", "applications", app[..separator], app[(separator + 1)..])
                : new("argoproj.io", "v1alpha1", "applications", ArgoCdNamespace, app);
        }

        return live.Labels.TryGetValue("app.kubernetes.io/instance", out var instance)
            ? new("argoproj.io", "v1alpha1", "applications", ArgoCdNamespace, instance)
            : null;
    }
}
