using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Tests.Deploy;

/// <summary>Path accessors over parsed YAML; a missing step throws with the path, so a failing assertion says what was absent.</summary>
public static class YamlPaths
{
    public static YamlNode? Get(this YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var step in path)
        {
            if (current is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(step), out var next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    public static bool Has(this YamlNode node, params string[] path) => node.Get(path) is not null;

    public static YamlMappingNode Map(this YamlNode node, params string[] path) => Expect<YamlMappingNode>(node, path);

    public static YamlSequenceNode Seq(this YamlNode node, params string[] path) => Expect<YamlSequenceNode>(node, path);

    public static string Text(this YamlNode node, params string[] path) =>
        Expect<YamlScalarNode>(node, path).Value ?? throw new KeyNotFoundException(string.Join('.', path) + " is null");

    public static string? TextOrNull(this YamlNode node, params string[] path) => (node.Get(path) as YamlScalarNode)?.Value;

    public static int Int(this YamlNode node, params string[] path) => int.Parse(node.Text(path));

    public static bool Bool(this YamlNode node, params string[] path) => bool.Parse(node.Text(path));

    /// <summary>The mappings of a sequence; an absent sequence is empty.</summary>
    public static IReadOnlyList<YamlMappingNode> Maps(this YamlNode node, params string[] path) =>
        node.Get(path) is YamlSequenceNode sequence ? [.. sequence.Children.Cast<YamlMappingNode>()] : [];

    /// <summary>The scalars of a sequence; an absent sequence is empty.</summary>
    public static IReadOnlyList<string> Texts(this YamlNode node, params string[] path) =>
        node.Get(path) is YamlSequenceNode sequence ? [.. sequence.Children.Cast<YamlScalarNode>().Select(s => s.Value ?? "")] : [];

    /// <summary>The item of a list whose <c>name</c> is <paramref name="name"/> (containers, volumes, ports).</summary>
    public static YamlMappingNode Named(this YamlSequenceNode sequence, string name) =>
        sequence.Children.Cast<YamlMappingNode>().SingleOrDefault(item => item.TextOrNull("name") == name)
            ?? throw new KeyNotFoundException($"no item named {name}");

    private static T Expect<T>(YamlNode node, string[] path)
        where T : YamlNode =>
        node.Get(path) switch
        {
            T found => found,
            null => throw new KeyNotFoundException(string.Join('.', path) + " is missing"),
            var other => throw new InvalidCastException($"{string.Join('.', path)} is a {other.NodeType}, not {typeof(T).Name}"),
        };
}
