namespace AdmissionGuard.Git.Sources;

/// <summary>One entry of <c>AdmissionGuard:Git:Sources</c> as operators write it; <see cref="SourcePlan"/> validates it.</summary>
public sealed class SourceSettings
{
    /// <summary>A folder of the repository; <c>""</c> is its root.</summary>
    public string? Path { get; set; }

    /// <summary><c>Auto</c> (default), <c>Plain</c> or <c>Kustomize</c>.</summary>
    public string? Render { get; set; }

    /// <summary>Globs inside <see cref="Path"/> of the files a <c>Plain</c> source reads; default <c>**/*.yaml</c>, <c>**/*.yml</c>.</summary>
    public List<string>? Include { get; set; }

    /// <summary>For objects that name no namespace, as Argo CD's <c>destination.namespace</c> or <c>kubectl apply -n</c>.</summary>
    public string? Namespace { get; set; }

    /// <summary>Every namespaced object is put in it, as Flux's <c>spec.targetNamespace</c>.</summary>
    public string? TargetNamespace { get; set; }

    /// <summary>Flux <c>postBuild.substitute</c>: <c>${NAME}</c> in the rendered objects becomes the value.</summary>
    public Dictionary<string, string>? Substitute { get; set; }
}
