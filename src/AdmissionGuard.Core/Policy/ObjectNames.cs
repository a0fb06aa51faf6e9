using System.Buffers;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// The API server's checks of names, label keys and label values (apimachinery's validation), for manifests read
/// from Git: a value it would refuse is refused here too, naming the file, before the GitOps sync fails on it.
/// </summary>
public static class ObjectNames
{
    private static readonly SearchValues<char> LabelCharacters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    private static readonly SearchValues<char> SubdomainCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-.");

    private static readonly SearchValues<char> DnsLabelCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    /// <summary>A label value (IsValidLabelValue): empty, or at most 63 of <c>[A-Za-z0-9_.-]</c> starting and ending alphanumeric.</summary>
    public static string? LabelValueProblem(string value) =>
        value.Length == 0 || IsNamePart(value)
            ? null
            : $"invalid label value {Excerpt.Quoted(value)}: at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit{VariableHint(value)}";

    /// <summary>A label or annotation key (IsQualifiedName): an optional DNS subdomain prefix and '/', then a name part.</summary>
    public static string? QualifiedNameProblem(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (prefix, name) = slash < 0 ? ("", key) : (key[..slash], key[(slash + 1)..]);
        var valid = IsNamePart(name) && (slash < 0 || (prefix.Length > 0 && IsSubdomain(prefix)));
        return valid
            ? null
            : $"invalid key {Excerpt.Quoted(key)}: an optional DNS subdomain and '/', then at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit{VariableHint(key)}";
    }

    /// <summary>A NetworkPolicy's name (a DNS subdomain, RFC 1123): at most 253 lower-case letters, digits, '-' and '.'.</summary>
    public static string? NameProblem(string name) =>
        IsSubdomain(name)
            ? null
            : $"invalid name {Excerpt.Quoted(name)}: at most 253 lower-case letters, digits, '-' or '.', beginning and ending with a letter or digit{VariableHint(name)}";

    /// <summary>A namespace (a DNS label, RFC 1123): at most 63 lower-case letters, digits and '-'.</summary>
    public static string? NamespaceProblem(string ns) =>
        ns.Length is >= 1 and <= 63 && !ns.AsSpan().ContainsAnyExcept(DnsLabelCharacters) && IsAlphanumeric(ns[0]) && IsAlphanumeric(ns[^1])
            ? null
            : $"invalid namespace {Excerpt.Quoted(ns)}: at most 63 lower-case letters, digits or '-', beginning and ending with a letter or digit{VariableHint(ns)}";

    private static bool IsNamePart(string part) =>
        part.Length is >= 1 and <= 63 && !part.AsSpan().ContainsAnyExcept(LabelCharacters) && char.IsAsciiLetterOrDigit(part[0]) && char.IsAsciiLetterOrDigit(part[^1]);

    private static bool IsSubdomain(string text)
    {
        if (text.Length is < 1 or > 253 || text.AsSpan().ContainsAnyExcept(SubdomainCharacters))
        {
            return false;
        }

        foreach (var label in text.Split('.'))
        {
            if (label.Length == 0 || !IsAlphanumeric(label[0]) || !IsAlphanumeric(label[^1]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAlphanumeric(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);

    /// <summary>Flux's <c>${VAR}</c> left in a plain manifest is the commonest way to get here.</summary>
    private static string VariableHint(string text) =>
        text.Contains("${", StringComparison.Ordinal) ? " (an unsubstituted variable?)" : "";
}
