using System.Collections.Immutable;
using System.Text;

namespace AdmissionGuard.Core.Decisions;

/// <summary>
/// Shapes a message into admission warnings the way the API server passes them on to kubectl:
/// one warning per line, each at most 120 characters, all of them under 4 KB, ending with "+N more".
/// </summary>
public static class WarningLines
{
    public const int MaxLineLength = 120;
    public const int MaxTotalBytes = 4096;

    public static ImmutableArray<string> From(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = ImmutableArray.CreateBuilder<string>(lines.Length);
        var budget = MaxTotalBytes - 32; // room for the "+N more" line
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Length > MaxLineLength ? Cut(lines[i], MaxLineLength - 3) + "..." : lines[i];
            var size = Encoding.UTF8.GetByteCount(line);
            if (size > budget)
            {
                result.Add($"+{lines.Length - i} more");
                break;
            }

            budget -= size;
            result.Add(line);
        }

        return result.ToImmutable();
    }

    /// <summary>The first <paramref name="length"/> characters, one fewer if that would split a surrogate pair.</summary>
    private static string Cut(string line, int length) =>
        char.IsHighSurrogate(line[length - 1]) ? line[..(length - 1)] : line[..length];
}
