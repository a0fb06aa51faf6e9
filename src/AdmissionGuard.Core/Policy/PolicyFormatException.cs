namespace AdmissionGuard.Core.Policy;

/// <summary>A NetworkPolicy that the API server would not accept, with the field path that is wrong.</summary>
/// <remarks>Both parts are bounded: a path can hold a label key and a problem a value, from anyone's request.</remarks>
public sealed class PolicyFormatException(string path, string problem)
    : Exception($"{Excerpt.Of(path, MaxPathLength)}: {Excerpt.Of(problem, MaxProblemLength)}")
{
    public const int MaxPathLength = 240;
    public const int MaxProblemLength = 240;

    public string Path { get; } = Excerpt.Of(path, MaxPathLength);

    public string Problem { get; } = Excerpt.Of(problem, MaxProblemLength);

    /// <summary>The path as field names (strings) and list indexes (ints), to find the field in its manifest; empty when not known.</summary>
    public IReadOnlyList<object> Segments { get; init; } = [];
}
