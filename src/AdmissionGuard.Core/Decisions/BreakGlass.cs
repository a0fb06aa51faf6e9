using System.Globalization;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Decisions;

/// <summary>The break-glass annotations on a request, judged: absent, valid, or present but refused (and why).</summary>
public sealed record BreakGlass(bool Present, bool Valid, string Reason, DateTimeOffset? Expires, string Refusal)
{
    private static readonly BreakGlass Absent = new(false, false, "", null, "");

    // RFC 3339 requires "Z" or an offset; "K" would also accept a time without either and read it as the host's local time.
    private static readonly string[] Rfc3339 =
        ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", "yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz"];

    public static BreakGlass Evaluate(CanonicalPolicy? annotated, UserInfo user, BreakGlassSettings settings, DateTimeOffset now)
    {
        if (annotated is null)
        {
            return Absent;
        }

        var hasReason = annotated.Annotations.TryGetValue(settings.Annotation, out var reason);
        var hasExpiry = annotated.Annotations.TryGetValue(settings.ExpiresAnnotation, out var expiresText);
        if (!hasReason && !hasExpiry)
        {
            return Absent;
        }

        reason = reason?.Trim() ?? "";
        if (reason.Length == 0)
        {
            return Refused($"annotation {settings.Annotation} must state a reason");
        }

        if (!hasExpiry)
        {
            return Refused($"annotation {settings.ExpiresAnnotation} is missing (RFC 3339 time, at most {Hours(settings.MaxDuration)} ahead)");
        }

        if (!TryParseTime(expiresText, out var expires))
        {
            return Refused($"{settings.ExpiresAnnotation} {Excerpt.Quoted(expiresText)} is not an RFC 3339 time such as {Format(now.AddHours(1))}");
        }

        if (expires <= now)
        {
            return Refused($"it expired at {Format(expires)}");
        }

        if (expires - now > settings.MaxDuration)
        {
            return Refused($"it expires at {Format(expires)}, more than {Hours(settings.MaxDuration)} from now");
        }

        if (!user.Groups.Any(g => settings.AllowedGroups.Contains(g, StringComparer.Ordinal)))
        {
            return Refused($"{Excerpt.Of(user.Username, UserLength)} is not in a group allowed to break glass ({string.Join(", ", settings.AllowedGroups)})");
        }

        return new BreakGlass(true, true, reason, expires, "");

        static BreakGlass Refused(string why) => new(true, false, "", null, why);
    }

    /// <summary>An RFC 3339 time, surrounding spaces allowed: a break-glass expiry, a managedFields time.</summary>
    public static bool TryParseTime(string? text, out DateTimeOffset time)
    {
        time = default;
        return text is not null
            && DateTimeOffset.TryParseExact(text.Trim(), Rfc3339, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
    }

    /// <summary>Longest user name shown whole: service account names reach about 300 characters.</summary>
    public const int UserLength = 320;

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Hours(TimeSpan duration) =>
        duration.TotalMinutes % 60 == 0 ? $"{duration.TotalHours:0}h" : $"{duration.TotalMinutes:0}m";
}
