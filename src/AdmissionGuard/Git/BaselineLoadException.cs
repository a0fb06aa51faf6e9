namespace AdmissionGuard.Git;

/// <summary>A commit that cannot become the baseline, and why (the file and document when one is to blame).</summary>
/// <remarks>One line, bounded: file names and values from the repository reach the message, and /status and the log show it.</remarks>
public sealed class BaselineLoadException(string message, string? commit = null, string? path = null, Exception? inner = null)
    : Exception(Core.Excerpt.Of(message, 2000), inner)
{
    public string? Commit { get; } = commit;

    public string? Path { get; } = path;

    /// <summary>The source that could not be rendered, as /status and metrics name it; null when no render failed.</summary>
    public string? FailedSource { get; init; }
}
