using System.Collections.Immutable;

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

    private static string Render(
        ImmutableArray<KeyValuePair<string, string>> labels, ImmutableArray<SelectorRequirement> expressions)
    {
        if (labels.IsEmpty && expressions.IsEmpty)
        {
            return "{}";
        }

        var parts = new List<string>(labels.Length + expressions.Length);
        foreach (var (key, value) in labels)
        {
            parts.Add($"{key}={value}");
        }

        foreach (var requirement in expressions)
        {
            parts.Add(requirement.Text);
        }

        return string.Join(',', parts);
    }
}

public sealed record SelectorRequirement(string Key, string Operator, ImmutableArray<string> Values)
{
    public string Text { get; } = Operator switch
    {
        "Exists" => Key,
        "DoesNotExist" => "!" + Key,
        "In" => $"{Key} in ({string.Join(',', Values)})",
        "NotIn" => $"{Key} notin ({string.Join(',', Values)})",
        _ => $"{Key} {Operator} ({string.Join(',', Values)})",
    };

    public bool Equals(SelectorRequirement? other) => other is not null && Text == other.Text;

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);
}
