using System.Collections.Immutable;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Core.Reporting;

namespace AdmissionGuard.Core.Tests.Reporting;

/// <summary>Which Events a new drift report calls for: transitions only, never a repeat of what was recorded.</summary>
public class DriftTransitionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 21, 50, 0, TimeSpan.Zero);

    private static readonly DriftItem Db = new("shop", "db", DriftType.Modified, ["spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432"], "shop/db.yaml");
    private static readonly DriftItem DbWider = Db with { Differences = ["spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432", "spec.egress: rule added: to ipBlock 0.0.0.0/0"] };
    private static readonly DriftItem DbEditedAgain = Db with { LastChange = new ManagedFieldsEntry("kubectl-edit", ManagedFieldsOperation.Update, Now, PolicyFields.None) };
    private static readonly DriftItem Debug = new("shop", "debug-allow-all", DriftType.Unmanaged, [], null);
    private static readonly DriftItem DefaultDeny = new("shop", "default-deny", DriftType.Missing, [], "shop/default-deny.yaml");
    private static readonly DriftItem DbGone = new("shop", "db", DriftType.Missing, [], "shop/db.yaml");
    private static readonly DriftItem DbExpired = Db with { BreakGlass = new DriftBreakGlass("INC-7", Now, Expired: true) };

    public static TheoryData<string, DriftItem[]?, DriftItem[], string[]> Cases => new()
    {
        { "a new reporter records every item it finds", null, [Db, Debug], ["DriftDetected shop/db", "DriftDetected shop/debug-allow-all"] },
        { "an item that appears is detected", [Db], [Db, DefaultDeny], ["DriftDetected shop/default-deny"] },
        { "an item that differs as before calls for nothing", [Db, Debug], [Db, Debug], [] },
        { "other differences are a change", [Db], [DbWider], ["DriftChanged shop/db"] },
        { "another type is a change", [Db], [DbGone], ["DriftChanged shop/db"] },
        { "another writer of the drifted fields is a change", [Db], [DbEditedAgain], ["DriftChanged shop/db"] },
        { "a break-glass that expires does not change the note", [Db], [DbExpired], [] },
        { "an item that goes away is resolved", [Db, Debug], [Debug], ["DriftResolved shop/db"] },
        { "everything at once, changes first, then what was resolved", [Debug, Db], [DbWider, DefaultDeny], ["DriftChanged shop/db", "DriftDetected shop/default-deny", "DriftResolved shop/debug-allow-all"] },
        { "no drift before or after calls for nothing", [], [], [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_report_calls_for_an_Event_per_transition(string because, DriftItem[]? before, DriftItem[] after, string[] expected)
    {
        var events = DriftTransitions.Between(before is null ? null : Report(before), Report(after));

        Assert.True(expected.SequenceEqual(events.Select(e => $"{e.Event.Reason} {e.Event.Policy}")), $"{because}: {string.Join(", ", events.Select(e => $"{e.Event.Reason} {e.Event.Policy}"))}");
    }

    [Fact]
    public void Drift_is_a_Warning_with_what_differs_and_who_changed_it_and_its_end_is_Normal()
    {
        var item = Db with { LastChange = new ManagedFieldsEntry("kubectl-edit", ManagedFieldsOperation.Update, new DateTimeOffset(2026, 11, 26, 23, 41, 17, TimeSpan.Zero), PolicyFields.None) };

        var (detected, _) = Assert.Single(DriftTransitions.Between(Report([]), Report([item])));
        var (resolved, _) = Assert.Single(DriftTransitions.Between(Report([item]), Report([])));

        Assert.Equal(("Warning", "Compare"), (detected.Type, detected.Action));
        Assert.Equal(
            "NetworkPolicy shop/db differs from Git (shop/db.yaml): spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432. Last changed by kubectl-edit (Update) at 2026-11-26T23:41:17Z",
            detected.Note);
        Assert.Equal(("Normal", "Compare"), (resolved.Type, resolved.Action));
        Assert.Equal("NetworkPolicy shop/db no longer differs from Git (it was modified)", resolved.Note);
    }

    private static DriftReport Report(DriftItem[] items) => new("827d35d3b4ad47c809113d4a8f72655d421aea13", "main", Now, 3, 3, [.. items]);
}
