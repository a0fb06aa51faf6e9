using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// A label selector in canonical form: matchLabels sorted by key, matchExpressions as a sorted
/// set with sorted, de-duplicated values. Absent, null and empty parts are the same thing.
/// </summary>
public sealed record LabelSelector(
    ImmutableArray<KeyValuePair<string, string>> MatchLabels,
    ImmutableArray<SelectorRequirement> MatchExpressions)
{
    public static LabelSelector Everything { get; } = new([], []);

    public bool IsEmpty => MatchLabels.IsEmpty && MatchExpressions.IsEmpty;

    /// <summary>kubectl's selector syntax (<c>app=web,tier in (a,b)</c>); <c>{}</c> selects everything.</summary>
    public string Text { get; } = Render(MatchLabels, MatchExpressions);

    public bool Equals(LabelSelector? other) => other is not null && Text == other.Text;

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Text;

    /// <summary>How the selector reads in a message: <see cref="Text"/>, with every key and value cut and escaped as an excerpt.</summary>
    public string Describe() => Text.Length <= Excerpt.DefaultLength && Excerpt.Of(Text) == Text
        ? Text
        : Render(
            [.. MatchLabels.Select(label => KeyValuePair.Create(Excerpt.Of(label.Key), Excerpt.Of(label.Value)))],
            [.. MatchExpressions.Select(e => new SelectorRequirement(Excerpt.Of(e.Key), Excerpt.Of(e.Operator), [.. e.Values.Select(v => Excerpt.Of(v))]))]);

    private static string Render(
        ImmutableArray<KeyValuePair<string, string>> labels, ImmutableArray<SelectorRequirement> expressions)
    {
        if (labels.IsEmpty && expressions.IsEmpty)
        {
            return "{}";
        }

        var text = new DefaultInterpolatedStringHandler(0, 0, null, stackalloc char[KeyText.StackLength]);
        var separator = "";
        foreach (var (key, value) in labels)
        {
            text.AppendLiteral(separator);
            text.AppendLiteral(key);
            text.AppendFormatted('=');
            text.AppendLiteral(value);
            separator = ",";
        }

        foreach (var requirement in expressions)
        {
            text.AppendLiteral(separator);
            text.AppendLiteral(requirement.Text);
            separator = ",";
        }

        return text.ToStringAndClear();
    }
}

public sealed record SelectorRequirement(string Key, string Operator, ImmutableArray<string> Values)
{
    public string Text { get; } = Operator switch
    {
        "Exists" => Key,
        "DoesNotExist" => "!" + Key,
        "In" => $"{Key} in ({KeyText.Join(Values, ',', static v => v)})",
        "NotIn" => $"{Key} notin ({KeyText.Join(Values, ',', static v => v)})",
        _ => $"{Key} {Operator} ({KeyText.Join(Values, ',', static v => v)})",
    };

    public bool Equals(SelectorRequirement? other) => other is not null && Text == other.Text;

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);
}
