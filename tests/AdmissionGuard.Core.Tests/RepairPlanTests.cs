using System.Collections.Immutable;

namespace AdmissionGuard.Core.Tests;

/// <summary>What a repair does with each kind of drift, and what it never touches.</summary>
public class RepairPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, DriftItem, bool, RepairAction, string> Steps() => new()
    {
        { "modified is updated to Git's spec", Item(DriftType.Modified), false, RepairAction.Update, "put back the spec shop/db.yaml declares" },
        { "missing is created", Item(DriftType.Missing), false, RepairAction.Create, "create it as shop/db.yaml declares it" },
        { "unmanaged is kept without prune", Item(DriftType.Unmanaged), false, RepairAction.Keep, "Git does not declare it: --prune deletes it" },
        { "unmanaged is deleted with prune", Item(DriftType.Unmanaged), true, RepairAction.Delete, "delete it: Git does not declare it" },
        {
            "a break-glass that holds keeps even a modified policy",
            Item(DriftType.Modified) with { BreakGlass = new DriftBreakGlass("INC-9", Now.AddHours(1), Expired: false) },
            true,
            RepairAction.Keep,
            "break-glass \"INC-9\" holds until 2026-12-01T13:00:00Z"
        },
        {
            "an expired break-glass does not keep it",
            Item(DriftType.Modified) with { BreakGlass = new DriftBreakGlass("INC-9", Now.AddHours(-1), Expired: true) },
            false,
            RepairAction.Update,
            "put back the spec"
        },
        {
            "a break-glass without a readable expiry does not keep it",
            Item(DriftType.Unmanaged) with { BreakGlass = new DriftBreakGlass("INC-9", null, Expired: false) },
            true,
            RepairAction.Delete,
            "delete it"
        },
    };

    [Theory]
    [MemberData(nameof(Steps))]
    public void Each_drifted_policy_gets_one_step(string behaviour, DriftItem item, bool prune, RepairAction action, string why)
    {
        var report = new DriftReport("c0ffee", "main", Now, 1, 1, [item]);

        var step = Assert.Single(RepairPlan.For(report, prune));

        Assert.True(action == step.Action, $"{behaviour}: {step.Action}");
        Assert.StartsWith(why, step.Why, StringComparison.Ordinal);
    }

    private static DriftItem Item(DriftType type) =>
        new("shop", "db", type, ImmutableArray<string>.Empty, type == DriftType.Unmanaged ? null : "shop/db.yaml");
}
