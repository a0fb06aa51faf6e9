namespace AdmissionGuard.Git;

/// <summary>Where the baseline comes from: <c>AdmissionGuard:Git</c>.</summary>
public sealed class GitSettings
{
    public string? Repository { get; set; }

    public string Ref { get; set; } = "main";

    /// <summary>Null until configured, so a configured list replaces the default instead of extending it.</summary>
    public List<string>? Paths { get; set; }

    public string DefaultNamespace { get; set; } = "default";

    /// <summary>Folders read as plain or rendered manifests; with <see cref="Discover"/>, they replace <see cref="Paths"/>.</summary>
    public List<Sources.SourceSettings>? Sources { get; set; }

    /// <summary><c>None</c> (default), <c>Flux</c>, <c>ArgoCD</c> or <c>All</c>: sources read from the GitOps tools' own objects in the repository.</summary>
    public string? Discover { get; set; }

    /// <summary>GitRepository names a Flux Kustomization may name to belong to this repository; default <c>flux-system</c>.</summary>
    [Microsoft.Extensions.Configuration.ConfigurationKeyName("Discover:FluxSources")]
    public List<string>? DiscoverFluxSources { get; set; }

    /// <summary>Other URLs of this repository, as GitOps objects name it (often the SSH form).</summary>
    public List<string>? RepositoryAliases { get; set; }

    public Sources.KustomizeSettings Kustomize { get; set; } = new();

    /// <summary>"30s", "5m" or "00:00:30"; validated at start-up.</summary>
    public string? RefreshInterval { get; set; }

    /// <summary>HTTPS user name; with a token, many hosts accept any name (GitHub: x-access-token).</summary>
    public string? Username { get; set; }

    /// <summary>File holding the HTTPS token (a mounted Secret); read at every fetch, so a rotated token is picked up.</summary>
    public string? TokenFile { get; set; }

    /// <summary>
    /// PEM file of the certificate authorities that may sign an HTTPS Git server's certificate, besides the
    /// system's (a private CA); read at every fetch, so an updated ConfigMap is picked up.
    /// </summary>
    public string? CaFile { get; set; }

    public string? CacheDirectory { get; set; }

    /// <summary>When set, <c>POST /refresh</c> requires an <c>X-Hub-Signature-256</c> HMAC-SHA256 of the body with this secret.</summary>
    public string? WebhookSecret { get; set; }

    public static IReadOnlyList<string> DefaultPaths { get; } = ["**/*.yaml", "**/*.yml"];

    public IReadOnlyList<string> EffectivePaths => Paths is { Count: > 0 } ? Paths : DefaultPaths;

    public TimeSpan EffectiveRefreshInterval =>
        RefreshInterval is { } text && Hosting.Durations.TryParse(text, out var interval) ? interval : TimeSpan.FromSeconds(30);

    public string EffectiveCacheDirectory => CacheDirectory is { Length: > 0 } dir
        ? dir
        : Path.Combine(Path.GetTempPath(), "admissionguard-cache");

    /// <summary>The repository as it may be shown: credentials in the URL are redacted.</summary>
    public string DisplayRepository => RedactedUrl.Redact(Repository ?? "");
}
