namespace AdmissionGuard.Git;

/// <summary>A commit that cannot become the baseline, and why (the file and document when one is to blame).</summary>
public sealed class BaselineLoadException(string message, string? commit = null, string? path = null, Exception? inner = null)
    : Exception(message, inner)
{
    public string? Commit { get; } = commit;

    public string? Path { get; } = path;

    /// <summary>The source that could not be rendered, as /status and metrics name it; null when no render failed.</summary>
    public string? FailedSource { get; init; }
}
