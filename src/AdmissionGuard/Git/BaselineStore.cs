using AdmissionGuard.Core;

namespace AdmissionGuard.Git;

/// <summary>What the refresh loop knows: the baseline in force and how the last attempts went.</summary>
public sealed record BaselineState(
    Baseline? Baseline,
    string Source,
    RefreshError? LastError,
    DateTimeOffset? LastSuccessAt,
    DateTimeOffset? LastFailureAt,
    int ConsecutiveFailures)
{
    public static BaselineState Empty { get; } = new(null, "none", null, null, null, 0);

    /// <summary>The sources the baseline in force was read through (empty for <c>Git:Paths</c>).</summary>
    public IReadOnlyList<Sources.SourceReport> Sources { get; init; } = [];
}

/// <summary>A refresh that failed: the message, and the commit and file that were rejected, when known.</summary>
public sealed record RefreshError(string Message, string? Commit, string? Path, DateTimeOffset At);

/// <summary>
/// Holds the current <see cref="BaselineState"/>. Readers get an immutable snapshot with one
/// volatile read; the refresh loop, the only writer, replaces it whole.
/// </summary>
public sealed class BaselineStore
{
    private volatile BaselineState _state = BaselineState.Empty;
    private volatile bool _collecting;

    public BaselineState State => _state;

    public Baseline? Current => _state.Baseline;

    /// <summary>
    /// Whether what the load of the baseline in force left is still to be collected (<see cref="Hosting.LargeReadCollection"/>):
    /// the drift scanner's first list waits for it, so that the list's memory never comes on top of the load's.
    /// </summary>
    public bool Collecting => _collecting;

    internal void Publish(BaselineState state) => _state = state;

    /// <summary>Puts a newly loaded baseline in force; <see cref="Collected"/> says when its load's leftovers are collected.</summary>
    internal void PublishLoaded(BaselineState state)
    {
        _collecting = true;
        _state = state;
    }

    internal void Collected() => _collecting = false;
}
