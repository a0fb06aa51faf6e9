using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace AdmissionGuard.Git.Sources;

/// <summary>How a source's folder becomes manifests.</summary>
public enum RenderMode
{
    /// <summary>Kustomize when the folder holds a kustomization file, else plain.</summary>
    Auto,
    Plain,
    Kustomize,
}

/// <summary>
/// One folder of the repository and how the GitOps tool turns it into objects: read as plain files or built with
/// kustomize (with the edits Flux or Argo CD make to the build), then namespaced and substituted as that tool does.
/// </summary>
internal sealed record ManifestSource(string Path, RenderMode Render, string FoundBy)
{
    public static readonly ImmutableArray<string> DefaultInclude = ["**/*.yaml", "**/*.yml"];

    public ImmutableArray<string> Include { get; init; } = DefaultInclude;

    /// <summary>Globs of files a plain source leaves out (Argo CD's <c>directory.exclude</c>).</summary>
    public ImmutableArray<string> Exclude { get; init; } = [];

    /// <summary>For objects that name no namespace; null: <c>Git:DefaultNamespace</c>.</summary>
    public string? Namespace { get; init; }

    /// <summary>Every namespaced object goes here.</summary>
    public string? TargetNamespace { get; init; }

    public ImmutableSortedDictionary<string, string> Substitute { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Edits the tool makes to the build (a name prefix, labels, patches, components), as kustomization fields.</summary>
    public KustomizeEdits Edits { get; init; } = KustomizeEdits.None;

    /// <summary>Why the guard does not render it (Helm, a plugin, another repository), and what to do; it is listed, not read.</summary>
    public string? NotRendered { get; init; }

    /// <summary>How it reads in /status and errors: <c>apps/prod (Flux Kustomization flux-system/apps)</c>.</summary>
    public override string ToString() => Describe(DisplayPath, FoundBy);

    public static string Describe(string displayPath, string foundBy) => foundBy == SourcePlan.ConfiguredBy ? displayPath : $"{displayPath} ({foundBy})";

    public string DisplayPath => Path.Length == 0 ? "." : Path;
}

/// <summary>Kustomization fields a GitOps tool adds to the one it builds: Flux's Kustomization spec, Argo CD's <c>source.kustomize</c>.</summary>
internal sealed record KustomizeEdits
{
    public static readonly KustomizeEdits None = new();

    public string? NamePrefix { get; init; }

    public string? NameSuffix { get; init; }

    /// <summary>kustomize's <c>namespace</c>: every namespaced object (Argo CD's <c>kustomize.namespace</c>).</summary>
    public string? Namespace { get; init; }

    /// <summary><c>commonLabels</c>: metadata and selectors (Argo CD).</summary>
    public ImmutableSortedDictionary<string, string> CommonLabels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Labels on metadata only (Flux's <c>commonMetadata.labels</c>).</summary>
    public ImmutableSortedDictionary<string, string> MetadataLabels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public ImmutableSortedDictionary<string, string> CommonAnnotations { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>kustomize <c>patches</c> entries (<c>patch</c>/<c>path</c> and <c>target</c>), as JSON.</summary>
    public ImmutableArray<JsonNode> Patches { get; init; } = [];

    /// <summary>Component folders, relative to the source's folder.</summary>
    public ImmutableArray<string> Components { get; init; } = [];

    /// <summary>The edits that need a build: a namespace alone is placed when the policies are read.</summary>
    public KustomizeEdits WithoutNamespace => this with { Namespace = null };

    public bool IsEmpty => this == None || (NamePrefix is null && NameSuffix is null && Namespace is null && CommonLabels.IsEmpty
        && MetadataLabels.IsEmpty && CommonAnnotations.IsEmpty && Patches.IsEmpty && Components.IsEmpty);
}
