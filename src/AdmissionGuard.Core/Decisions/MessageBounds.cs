using System.Text;

namespace AdmissionGuard.Core.Decisions;

/// <summary>
/// Keeps a decision's message within what people and the API server can take, whatever the request held: every
/// line at most <see cref="MaxLineLength"/> characters with controls escaped, and the whole at most
/// <see cref="MaxBytes"/>, dropping difference lines (<c>- ...</c>) past the budget for <c>- +N more differences</c>.
/// </summary>
public static class MessageBounds
{
    public const int MaxBytes = 4096;
    public const int MaxLineLength = 1024;
    public const string DifferencePrefix = "- ";

    public static string Apply(string message)
    {
        var lines = message.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = Excerpt.Of(lines[i], MaxLineLength);
        }

        var total = lines.Sum(line => Encoding.UTF8.GetByteCount(line) + 1) - 1;
        if (total <= MaxBytes)
        {
            return string.Join('\n', lines);
        }

        // Room for "- +N more differences": the other lines are kept whole, differences in order while they fit.
        var budget = MaxBytes - lines.Where(line => !IsDifference(line)).Sum(line => Encoding.UTF8.GetByteCount(line) + 1) - 32;
        var kept = new List<string>(lines.Length);
        var dropped = 0;
        var marker = -1;
        foreach (var line in lines)
        {
            if (!IsDifference(line))
            {
                kept.Add(line);
                continue;
            }

            var size = Encoding.UTF8.GetByteCount(line) + 1;
            if (dropped == 0 && size <= budget)
            {
                budget -= size;
                kept.Add(line);
                continue;
            }

            if (dropped++ == 0)
            {
                marker = kept.Count;
                kept.Add("");
            }
        }

        if (marker >= 0)
        {
            kept[marker] = $"{DifferencePrefix}+{dropped} more differences";
        }

        return WithinBytes(kept);
    }

    /// <summary>The first lines that fit, then how many did not: only when the lines besides the differences are too long.</summary>
    private static string WithinBytes(List<string> lines)
    {
        var budget = MaxBytes - 32;
        var count = 0;
        while (count < lines.Count && Encoding.UTF8.GetByteCount(lines[count]) + 1 <= budget)
        {
            budget -= Encoding.UTF8.GetByteCount(lines[count]) + 1;
            count++;
        }

        return count == lines.Count
            ? string.Join('\n', lines)
            : string.Join('\n', lines.Take(count).Append($"+{lines.Count - count} more lines"));
    }

    private static bool IsDifference(string line) => line.StartsWith(DifferencePrefix, StringComparison.Ordinal);
}
