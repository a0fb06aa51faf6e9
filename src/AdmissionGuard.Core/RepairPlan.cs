using System.Collections.Immutable;
using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Core;

/// <summary>What a repair does with one drifted policy.</summary>
public enum RepairAction
{
    /// <summary>Modified: put Git's spec (and governed metadata) on the live object, on its current resourceVersion.</summary>
    Update,

    /// <summary>Missing: create it as Git declares it.</summary>
    Create,

    /// <summary>Unmanaged, with pruning asked for: delete it.</summary>
    Delete,

    /// <summary>Left as it is, and why: a break-glass holds, or an unmanaged policy without pruning.</summary>
    Keep,
}

/// <summary>One step of a repair: the drifted policy, what to do, and why, in words for the plan.</summary>
public sealed record RepairStep(RepairAction Action, DriftItem Item, string Why);

/// <summary>
/// How to bring the cluster back to Git: restore modified and missing policies exactly as Git declares them,
/// delete unmanaged ones only when asked, and never touch a policy while its break-glass holds.
/// </summary>
public static class RepairPlan
{
    /// <param name="prune">Delete policies Git does not declare.</param>
    public static ImmutableArray<RepairStep> For(DriftReport report, bool prune) =>
        [.. report.Items.Select(item => Step(item, prune))];

    private static RepairStep Step(DriftItem item, bool prune) => item switch
    {
        { BreakGlass: { Expired: false, Expires: { } until } breakGlass } =>
            new(RepairAction.Keep, item, $"break-glass \"{breakGlass.Reason}\" holds until {BreakGlass.Format(until)}"),
        { Type: DriftType.Missing } => new(RepairAction.Create, item, $"create it as {item.Where} declares it"),
        { Type: DriftType.Modified } => new(RepairAction.Update, item, $"put back the spec {item.Where} declares"),
        { Type: DriftType.Unmanaged } when prune => new(RepairAction.Delete, item, "delete it: Git does not declare it"),
        _ => new(RepairAction.Keep, item, "Git does not declare it: --prune deletes it"),
    };
}
