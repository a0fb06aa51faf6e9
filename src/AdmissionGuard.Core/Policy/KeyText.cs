using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// Builds the canonical key strings without intermediate strings: each key is written into a
/// <see cref="DefaultInterpolatedStringHandler"/> over a stack buffer, which rents from the shared
/// array pool only for a key longer than the buffer.
/// </summary>
internal static class KeyText
{
    /// <summary>Characters a key is built in before it needs a rented buffer.</summary>
    public const int StackLength = 256;

    /// <summary>The items' texts joined by <paramref name="separator"/>: "" for none, the item's own text for one.</summary>
    public static string Join<T>(ImmutableArray<T> items, char separator, Func<T, string> text)
    {
        switch (items.Length)
        {
            case 0:
                return "";
            case 1:
                return text(items[0]);
        }

        var builder = new DefaultInterpolatedStringHandler(0, 0, null, stackalloc char[StackLength]);
        AppendJoined(ref builder, items, separator, text);
        return builder.ToStringAndClear();
    }

    public static void AppendJoined<T>(ref DefaultInterpolatedStringHandler builder, ImmutableArray<T> items, char separator, Func<T, string> text)
    {
        for (var i = 0; i < items.Length; i++)
        {
            if (i > 0)
            {
                builder.AppendFormatted(separator);
            }

            builder.AppendLiteral(text(items[i]));
        }
    }
}
