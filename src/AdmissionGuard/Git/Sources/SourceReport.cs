namespace AdmissionGuard.Git.Sources;

/// <summary>One source of the baseline in force, as /status lists it: how it was found, how it was read, and what came of it.</summary>
/// <param name="Path">The folder (<c>.</c> for the root).</param>
/// <param name="FoundBy"><c>configured</c>, <c>Flux Kustomization ns/name</c> or <c>Argo CD Application ns/name</c>.</param>
/// <param name="Render"><c>plain</c>, <c>kustomize</c>, or <c>not rendered</c>.</param>
/// <param name="RenderSeconds">How long its render took (kustomize and substitution), without the wait for a render slot; null unless rendered.</param>
public sealed record SourceReport(string Path, string FoundBy, string Render, double? RenderSeconds, int Policies, string? Problem)
{
    /// <summary>
    /// For a render, how the file declaring each policy was found: <c>names</c> (the build's resource files, by policy
    /// name) or <c>origin annotations</c> (kustomize's, when names could not tell: the render then costs about half as much again).
    /// </summary>
    public string? Provenance { get; init; }

    /// <summary>As messages and <see cref="ManifestFile.Source"/> name the source.</summary>
    public string Name => ManifestSource.Describe(Path, FoundBy);
}
