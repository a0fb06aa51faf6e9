namespace AdmissionGuard.Tests.Support;

/// <summary>A clock that moves only when a test moves it (timers, which nothing under such a test waits on, stay the system's).</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
