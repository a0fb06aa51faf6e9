namespace AdmissionGuard.Git;

/// <summary>A commit that cannot become the baseline, and why (the file and document when one is to blame).</summary>
public sealed class BaselineLoadException(string message, string? commit = null, string? path = null, Exception? inner = null)
    : Exception(message, inner)
{
    public string? Commit { get; } = commit;

    public string? Path { get; } = path;
}
