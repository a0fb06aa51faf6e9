namespace AdmissionGuard.Core.Policy;

/// <summary>How a manager wrote its fields: <c>Update</c> (create, update, patch) or <c>Apply</c> (server-side apply).</summary>
public enum ManagedFieldsOperation
{
    Update,
    Apply,
}

/// <summary>
/// One entry of a live object's <c>metadata.managedFields</c>, reduced to what says who changed what and
/// when. <paramref name="Time"/> is whole seconds, as the API server records it; null when it recorded none.
/// </summary>
public sealed record ManagedFieldsEntry(string Manager, ManagedFieldsOperation Operation, DateTimeOffset? Time, PolicyFields Owned)
{
    /// <summary><c>kubectl-edit (Update) at 2026-12-01T21:48:59Z</c>.</summary>
    public override string ToString() =>
        $"{Excerpt.Of(Manager)} ({Operation}){(Time is { } time ? $" at {Decisions.BreakGlass.Format(time)}" : "")}";
}
