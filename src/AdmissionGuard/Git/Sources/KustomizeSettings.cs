namespace AdmissionGuard.Git.Sources;

/// <summary><c>AdmissionGuard:Git:Kustomize</c>: how rendered sources are built.</summary>
public sealed class KustomizeSettings
{
    /// <summary>The program and its first words, e.g. <c>kustomize build</c>; default <c>kustomize build</c> when on PATH, else <c>kubectl kustomize</c>.</summary>
    public string? Command { get; set; }

    /// <summary><c>None</c> (default, as Flux and Config Sync build) or <c>RootOnly</c> (Argo CD's default).</summary>
    public string? LoadRestrictor { get; set; }

    /// <summary>Longest one render may take; default 60s.</summary>
    public string? Timeout { get; set; }

    /// <summary>An unset variable without a default is an error naming the file, as Flux's <c>StrictPostBuildSubstitutions</c>.</summary>
    public string? StrictSubstitution { get; set; }
}
