namespace AdmissionGuard.Core.Decisions;

/// <summary>A namespace glob: '*' matches any run of characters, '?' one character.</summary>
public sealed class NamespacePattern
{
    public NamespacePattern(string pattern)
    {
        Pattern = pattern;
        IsExact = pattern.IndexOfAny(['*', '?']) < 0;
        LiteralCharacters = pattern.Count(c => c is not ('*' or '?'));
    }

    public string Pattern { get; }

    public bool IsExact { get; }

    /// <summary>Used for precedence: the pattern with the most literal characters is the most specific.</summary>
    public int LiteralCharacters { get; }

    public bool Matches(string value) => IsExact ? value == Pattern : Glob(Pattern, value);

    public override string ToString() => Pattern;

    private static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> value)
    {
        // Iterative wildcard match with a single backtrack point: linear in practice, no recursion.
        int p = 0, v = 0, star = -1, resume = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == value[v]))
            {
                p++;
                v++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = v;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
