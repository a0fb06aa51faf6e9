using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core;

/// <summary>
/// The break-glass annotations on a drifted live policy: the reason, the expiry (null when missing or not an
/// RFC 3339 time) and whether it had passed at the scan. An expired break-glass on a policy that still
/// differs from Git is a finding of its own: the exception is over and the drift is not.
/// </summary>
public sealed record DriftBreakGlass(string Reason, DateTimeOffset? Expires, bool Expired)
{
    /// <summary>Longest reason shown: annotations may hold 256 KiB, a report line should not.</summary>
    public const int ReasonLength = 200;

    /// <summary>Null when the live policy carries neither annotation.</summary>
    public static DriftBreakGlass? Of(CanonicalPolicy live, BreakGlassSettings settings, DateTimeOffset now)
    {
        var hasReason = live.Annotations.TryGetValue(settings.Annotation, out var reason);
        var hasExpiry = live.Annotations.TryGetValue(settings.ExpiresAnnotation, out var expiresText);
        if (!hasReason && !hasExpiry)
        {
            return null;
        }

        DateTimeOffset? expires = hasExpiry && BreakGlass.TryParseTime(expiresText, out var parsed) ? parsed : null;
        return new DriftBreakGlass(reason?.Trim() ?? "", expires, expires <= now);
    }

    /// <summary><c>break-glass "INC-7" expired 2026-11-27T03:00:00Z</c>.</summary>
    public override string ToString()
    {
        var reason = Reason.Length > 0 ? $"break-glass {Excerpt.Quoted(Reason, ReasonLength)}" : "break-glass without a reason";
        return Expires is { } expires
            ? $"{reason} {(Expired ? "expired" : "expires")} {BreakGlass.Format(expires)}"
            : $"{reason} without a readable expiry";
    }
}
