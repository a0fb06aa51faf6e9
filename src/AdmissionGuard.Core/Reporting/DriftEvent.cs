using System.Security.Cryptography;
using System.Text;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Reporting;

/// <summary>
/// One Kubernetes Event about a NetworkPolicy: what <c>kubectl get events --field-selector
/// involvedObject.name=NAME</c> shows. <see cref="Note"/> is bounded to what the API server accepts.
/// </summary>
public sealed record DriftEvent(PolicyKey Policy, DriftEventReason Reason, string Action, string Note)
{
    /// <summary>The API server refuses a longer <c>note</c> (counted in bytes).</summary>
    public const int NoteLimit = 1024;

    public const string CompareAction = "Compare";

    /// <summary><c>Warning</c> for drift that needs someone, <c>Normal</c> when it is over.</summary>
    public string Type => Reason is DriftEventReason.DriftDetected or DriftEventReason.DriftChanged ? "Warning" : "Normal";

    public static DriftEvent Detected(DriftItem item) => new(item.Id, DriftEventReason.DriftDetected, CompareAction, NoteOf(item));

    public static DriftEvent Changed(DriftItem item) => new(item.Id, DriftEventReason.DriftChanged, CompareAction, NoteOf(item));

    public static DriftEvent Resolved(DriftItem item) => new(
        item.Id, DriftEventReason.DriftResolved, CompareAction,
        Bounded($"NetworkPolicy {item.Id} no longer differs from Git (it was {item.Type.ToString().ToLowerInvariant()})"));

    /// <param name="action">What was done: e.g. <c>Apply</c> (Git's version written back) or <c>RequestSync</c>.</param>
    public static DriftEvent Remediated(PolicyKey policy, string action, string note) =>
        new(policy, DriftEventReason.Remediated, action, Bounded(note));

    /// <summary>
    /// What an operator reads for a drifted policy: what differs, and who changed it last. Events that say
    /// the same are one Event with a series; a different note is a new Event (the API server does not
    /// let a note change).
    /// </summary>
    public static string NoteOf(DriftItem item) =>
        Bounded(item.LastChange is { } change ? $"{item.Describe()}. Last changed by {change}" : item.Describe());

    /// <summary>
    /// The Event's name: the policy's, then a hash of what makes it this Event. The same reason and note
    /// for the same object give the same name, so a replica that restarts finds the Event it recorded
    /// before (409 AlreadyExists) and adds to its series rather than recording it again.
    /// </summary>
    /// <param name="uid">The live object's uid; a policy deleted and created again is another object.</param>
    public string Name(string? uid)
    {
        var identity = $"{Policy}\n{uid}\n{Reason}\n{Note}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)).AsSpan(0, 8));

        // A policy's name is a DNS subdomain of at most 253 characters; so is an Event's.
        var prefix = Policy.Name.Length > 253 - 17 ? Policy.Name[..(253 - 17)].TrimEnd('-', '.') : Policy.Name;
        return $"{prefix}.{hash}";
    }

    private static string Bounded(string note) => Excerpt.Line(note, NoteLimit);
}
