using AdmissionGuard.Git;

namespace AdmissionGuard.Tests.Server;

/// <summary>When a due refresh fetches: a burst of trusted writes once, the interval and a push hook at once.</summary>
public sealed class RefreshHoldTests
{
    [Theory]
    [InlineData(false, false, 1, 0)] // the interval (1s here) is kept, though shorter than the debounce
    [InlineData(false, false, 0, 0)]
    [InlineData(true, false, 1, 4)] // a trusted write 1s after the last fetch waits out the rest of the 5s
    [InlineData(true, false, 5, 0)]
    [InlineData(true, false, 60, 0)]
    [InlineData(true, true, 1, 0)] // a push hook does not wait
    public void A_requested_refresh_waits_out_the_debounce_and_nothing_else_does(bool requested, bool urgent, int secondsSinceLast, int expectedHoldSeconds)
    {
        var hold = BaselineRefresher.HoldBeforeRefresh(requested, urgent, TimeSpan.FromSeconds(secondsSinceLast));

        Assert.Equal(TimeSpan.FromSeconds(expectedHoldSeconds), hold);
    }
}
