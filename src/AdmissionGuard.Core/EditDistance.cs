namespace AdmissionGuard.Core;

/// <summary>How far apart two words are, for the "did you mean" of a mistyped verb, option or manifest field.</summary>
public static class EditDistance
{
    /// <summary>
    /// Insertions, deletions, substitutions and swaps of two neighbours, ignoring case: a swap counts
    /// once because swapped letters are the commonest typo (<c>chekc</c>, <c>--outptu</c>).
    /// </summary>
    public const int MaxWordLength = 64;

    public static int Between(string a, string b)
    {
        var (x, y) = (a.ToUpperInvariant(), b.ToUpperInvariant());
        var distances = new int[x.Length + 1, y.Length + 1];
        for (var i = 0; i <= x.Length; i++)
        {
            distances[i, 0] = i;
        }

        for (var j = 0; j <= y.Length; j++)
        {
            distances[0, j] = j;
        }

        for (var i = 1; i <= x.Length; i++)
        {
            for (var j = 1; j <= y.Length; j++)
            {
                var cost = x[i - 1] == y[j - 1] ? 0 : 1;
                var best = Math.Min(Math.Min(distances[i - 1, j] + 1, distances[i, j - 1] + 1), distances[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1])
                {
                    best = Math.Min(best, distances[i - 2, j - 2] + 1);
                }

                distances[i, j] = best;
            }
        }

        return distances[x.Length, y.Length];
    }

    /// <summary>
    /// The candidate closest to <paramref name="word"/>, if it is near enough to be what was meant: at most
    /// one edit per three letters (at least one), or a start of three letters or more (<c>--out</c>).
    /// </summary>
    public static string? Nearest(string word, IEnumerable<string> candidates)
    {
        // Nothing anyone meant is that long, and the table grows with the word's length times the candidate's.
        if (word.Length > MaxWordLength)
        {
            return null;
        }

        var allowed = Math.Max(1, word.Length / 3);
        return candidates
            .Select(candidate => (Candidate: candidate, Distance: Between(word, candidate)))
            .Where(c => c.Distance <= allowed || (word.Length >= 3 && c.Candidate.StartsWith(word, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(c => c.Distance)
            .Select(c => c.Candidate)
            .FirstOrDefault();
    }
}
