using System.Globalization;

namespace AdmissionGuard.Hosting;

/// <summary>Durations as operators write them: "50ms", "30s", "15m", "4h", "1d", or a .NET TimeSpan such as "04:00:00".</summary>
public static class Durations
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        text = text.Trim();
        duration = TimeSpan.Zero;
        if (text.Length > 2 && text.EndsWith("ms", StringComparison.OrdinalIgnoreCase)
            && double.TryParse(text.AsSpan(0, text.Length - 2), NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds))
        {
            duration = TimeSpan.FromMilliseconds(milliseconds);
            return duration > TimeSpan.Zero;
        }

        if (text.Length > 1 && char.IsAsciiLetter(text[^1])
            && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
        {
            duration = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => TimeSpan.Zero,
            };
            return duration > TimeSpan.Zero;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration > TimeSpan.Zero;
    }

    /// <summary>A duration as operators write it: <c>60s</c>, <c>5m</c>, <c>250ms</c>.</summary>
    public static string Format(TimeSpan duration) =>
        duration.TotalMilliseconds % 1000 != 0 ? $"{duration.TotalMilliseconds:0}ms"
        : duration.TotalSeconds % 60 != 0 || duration < TimeSpan.FromMinutes(1) ? $"{duration.TotalSeconds:0}s"
        : duration.TotalMinutes % 60 != 0 || duration < TimeSpan.FromHours(1) ? $"{duration.TotalMinutes:0}m"
        : $"{duration.TotalHours:0}h";
}
