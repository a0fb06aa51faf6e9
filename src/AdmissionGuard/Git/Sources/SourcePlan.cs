using System.Collections.Immutable;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Git.Sources;

/// <summary>
/// The sources settings, validated: the configured sources, what to discover, and how to render. Without
/// <c>Git:Sources</c> and with <c>Git:Discover</c> at <c>None</c>, <c>Git:Paths</c> are read as before.
/// </summary>
internal sealed record SourcePlan(
    ImmutableArray<ManifestSource> Configured,
    DiscoverTools Discover,
    ImmutableArray<string> FluxSources,
    RepositoryIdentity Repository,
    KustomizeOptions Kustomize)
{
    /// <summary>How a source that <c>Git:Sources</c> names is shown as found.</summary>
    public const string ConfiguredBy = "configured";

    public static readonly ImmutableArray<string> DefaultFluxSources = ["flux-system"];

    /// <summary>Whether sources replace <c>Git:Paths</c>.</summary>
    public bool UsesSources => !Configured.IsEmpty || Discover != DiscoverTools.None;

    /// <summary>The plan, with every invalid setting added to <paramref name="problems"/> as one line naming its key.</summary>
    public static SourcePlan Compile(GitSettings settings, List<string> problems, string key = "AdmissionGuard:Git")
    {
        var configured = ImmutableArray.CreateBuilder<ManifestSource>();
        for (var index = 0; index < (settings.Sources?.Count ?? 0); index++)
        {
            if (Source(settings.Sources![index], $"{key}:Sources:{index}", problems) is { } source)
            {
                configured.Add(source);
            }
        }

        var discover = DiscoverTools.None;
        if (!string.IsNullOrWhiteSpace(settings.Discover))
        {
            var tools = settings.Discover.Trim();
            if (char.IsDigit(tools[0]) || tools.Contains(',', StringComparison.Ordinal) || !Enum.TryParse(tools, ignoreCase: true, out discover))
            {
                problems.Add($"{key}:Discover: \"{Core.Excerpt.Of(settings.Discover)}\" is not None, Flux, ArgoCD or All");
                discover = DiscoverTools.None;
            }
        }

        var fluxSources = settings.DiscoverFluxSources is { Count: > 0 } names ? [.. names.Select(n => n.Trim())] : DefaultFluxSources;
        var kustomize = KustomizeOptions.Compile(settings.Kustomize, $"{key}:Kustomize", problems);
        return new SourcePlan(configured.ToImmutable(), discover, fluxSources, RepositoryIdentity.Of(settings.Repository, settings.RepositoryAliases ?? []), kustomize);
    }

    private static ManifestSource? Source(SourceSettings settings, string key, List<string> problems)
    {
        var before = problems.Count;
        var path = RepositoryPath(settings.Path, $"{key}:Path", problems);
        var render = RenderMode.Auto;
        if (!string.IsNullOrWhiteSpace(settings.Render)
            && (char.IsDigit(settings.Render.Trim()[0]) || !Enum.TryParse(settings.Render.Trim(), ignoreCase: true, out render) || !Enum.IsDefined(render)))
        {
            var text = settings.Render;
            problems.Add($"{key}:Render: \"{Core.Excerpt.Of(text)}\" is not Auto, Plain or Kustomize");
        }

        var include = settings.Include is { Count: > 0 } globs ? [.. globs.Select(g => g.Trim())] : ManifestSource.DefaultInclude;
        foreach (var glob in include.Where(g => g.Length == 0 || g.StartsWith('/') || g.Split('/').Contains("..")))
        {
            problems.Add($"{key}:Include: \"{Core.Excerpt.Of(glob)}\" must be a glob inside the source's folder");
        }

        var ns = Namespace(settings.Namespace, $"{key}:Namespace", problems);
        var target = Namespace(settings.TargetNamespace, $"{key}:TargetNamespace", problems);
        var substitute = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in settings.Substitute ?? [])
        {
            if (!Substitution.IsName(name))
            {
                problems.Add($"{key}:Substitute:{Core.Excerpt.Of(name)}: a variable name is letters, digits and '_', not starting with a digit");
            }

            substitute[name] = value ?? "";
        }

        return problems.Count > before
            ? null
            : new ManifestSource(path, render, ConfiguredBy) { Include = include, Namespace = ns, TargetNamespace = target, Substitute = substitute.ToImmutable() };
    }

    /// <summary>A folder of the repository, normalised: <c>./apps/</c> is <c>apps</c>, <c>""</c> or <c>.</c> the root; never outside it.</summary>
    public static string RepositoryPath(string? path, string key, List<string> problems)
    {
        var text = (path ?? "").Trim().Replace('\\', '/');
        var parts = text.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (text.StartsWith('/') || parts.Contains(".."))
        {
            problems.Add($"{key}: \"{Core.Excerpt.Of(path)}\" must be a folder inside the repository, relative to its root");
            return "";
        }

        return string.Join('/', parts);
    }

    private static string? Namespace(string? value, string key, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (ObjectNames.NamespaceProblem(value.Trim()) is { } problem)
        {
            problems.Add($"{key}: {problem}");
        }

        return value.Trim();
    }
}
