using System.Collections.Immutable;
using System.Text;

namespace AdmissionGuard.Core.Policy;

/// <summary>Builds the canonical key strings without intermediate strings or iterators.</summary>
internal static class KeyText
{
    [ThreadStatic]
    private static StringBuilder? t_cached;

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

        var builder = Acquire();
        AppendJoined(builder, items, separator, text);
        return Release(builder);
    }

    public static StringBuilder AppendJoined<T>(StringBuilder builder, ImmutableArray<T> items, char separator, Func<T, string> text)
    {
        for (var i = 0; i < items.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(separator);
            }

            builder.Append(text(items[i]));
        }

        return builder;
    }

    /// <summary>A cleared builder: the cached one of this thread if it is free, else a new one.</summary>
    public static StringBuilder Acquire()
    {
        var builder = t_cached;
        if (builder is null)
        {
            return new StringBuilder(256);
        }

        t_cached = null;
        return builder.Clear();
    }

    public static string Release(StringBuilder builder)
    {
        var text = builder.ToString();
        if (builder.Capacity <= 4096)
        {
            t_cached = builder;
        }

        return text;
    }
}
