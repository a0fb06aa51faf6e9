namespace AdmissionGuard.Git.Sources;

/// <summary>Glob lists as Argo CD writes them: <c>{*.yaml,*.yml}</c> is two globs.</summary>
internal static class Globs
{
    public static IReadOnlyList<string> Expand(string pattern)
    {
        var open = pattern.IndexOf('{', StringComparison.Ordinal);
        var close = open < 0 ? -1 : pattern.IndexOf('}', open);
        if (close < 0)
        {
            return [pattern.Trim()];
        }

        var (head, tail) = (pattern[..open], pattern[(close + 1)..]);
        return [.. pattern[(open + 1)..close].Split(',').SelectMany(choice => Expand(head + choice.Trim() + tail))];
    }
}
