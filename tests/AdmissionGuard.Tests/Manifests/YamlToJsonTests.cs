using System.Globalization;
using System.Text.Json;
using AdmissionGuard.Git;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>YAML scalars become the JSON types kubectl's YAML reader (go-yaml v2, YAML 1.1) gives them.</summary>
public class YamlToJsonTests
{
    public static TheoryData<string, string, string> Scalars => new()
    {
        { "plain integer is a number", "80", "80" },
        { "signed integer is a number", "-7", "-7" },
        { "plus-signed integer is a number", "+80", "80" },
        { "hexadecimal integer is a number", "0x50", "80" },
        { "YAML 1.1 octal with a leading zero is a number", "0120", "80" },
        { "YAML 1.2 octal is a number", "0o120", "80" },
        { "binary integer is a number", "0b1010000", "80" },
        { "underscores group digits", "8_080", "8080" },
        { "leading zeros that are not octal read as decimal", "080", "80" },
        { "integer beyond 64 bits is still a number", "99999999999999999999", "1E+20" },
        { "float is a number", "1.5", "1.5" },
        { "zero with a fraction is a float, not octal", "0.5", "0.5" },
        { "zero with an exponent is a float, not octal", "0e5", "0" },
        { "negative octal is a number", "-010", "-8" },
        { "the most negative 64-bit integer is a number", "-9223372036854775808", "-9223372036854775808" },
        { "a digit run beyond every float stays a string, as in go-yaml", new string('9', 400), "\"" + new string('9', 400) + "\"" },
        { "exponent is a number", "1e3", "1000" },
        { "double-quoted number is a string", "\"80\"", "\"80\"" },
        { "single-quoted number is a string", "'80'", "\"80\"" },
        { "string tag makes a number a string", "!!str 80", "\"80\"" },
        { "block scalar is a string", "|\n  80", "\"80\\n\"" },
        { "true is a boolean", "true", "true" },
        { "YAML 1.1 yes is a boolean", "yes", "true" },
        { "YAML 1.1 off is a boolean", "Off", "false" },
        { "YAML 1.1 single-letter n is a boolean", "n", "false" },
        { "quoted yes is a string", "\"yes\"", "\"yes\"" },
        { "tilde is null", "~", "null" },
        { "empty value is null", "", "null" },
        { "null is null", "null", "null" },
        { "a word is a string", "web", "\"web\"" },
        { "a version-like value is a string", "1.2.3", "\"1.2.3\"" },
        { "a CIDR is a string", "10.0.0.0/8", "\"10.0.0.0/8\"" },
        { "bare 0x is a string", "0x", "\"0x\"" },
    };

    [Theory]
    [MemberData(nameof(Scalars))]
    public void Scalar_gets_the_JSON_type_kubectl_gives_it(string behaviour, string yaml, string json)
    {
        using var document = Convert("value: " + yaml + "\n");

        var value = document.RootElement.GetProperty("value");
        var actual = value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var integer) => integer.ToString(CultureInfo.InvariantCulture),
            JsonValueKind.Number => value.GetDouble().ToString(CultureInfo.InvariantCulture),
            _ => value.GetRawText(),
        };

        Assert.True(actual == json, $"{behaviour}: {yaml} became {value.GetRawText()}");
    }

    [Fact]
    public void Mappings_and_sequences_keep_their_shape_and_order()
    {
        using var document = Convert("b: [1, two, {c: null}]\na: {}\n");

        Assert.Equal("""{"b":[1,"two",{"c":null}],"a":{}}""", document.RootElement.GetRawText());
    }

    [Fact]
    public void Deep_nesting_is_an_error()
    {
        var yaml = string.Concat(Enumerable.Repeat("[", 100)) + string.Concat(Enumerable.Repeat("]", 100));

        var e = Assert.Throws<YamlDotNet.Core.YamlException>(() => Convert(yaml));

        Assert.Contains("deeper than", e.Message);
    }

    [Fact]
    public void Aliases_expand_to_the_anchored_node()
    {
        using var document = Convert("a: &ports [{port: 80}, {port: 443}]\nb: *ports\nc: &name web\nd: *name\n");

        Assert.Equal("""{"a":[{"port":80},{"port":443}],"b":[{"port":80},{"port":443}],"c":"web","d":"web"}""", document.RootElement.GetRawText());
    }

    [Fact]
    public void An_alias_that_contains_itself_is_an_error_not_a_stack_overflow()
    {
        var e = Assert.Throws<YamlDotNet.Core.YamlException>(() => Convert("a: &loop [1, *loop]\n"));

        Assert.Contains("deeper than", e.Message);
    }

    /// <summary>Merge keys as go-yaml v2 (kubectl's YAML reader) applies them: later settings win, earlier mappings of a merged sequence win.</summary>
    public static TheoryData<string, string, string> Merges => new()
    {
        { "merged, then extended", "base: &b {team: shop}\nlabels: {<<: *b, app: web}\n", """{"team":"shop","app":"web"}""" },
        { "a key after the merge overrides it", "base: &b {app: api, team: shop}\nlabels: {<<: *b, app: web}\n", """{"app":"web","team":"shop"}""" },
        { "a key before the merge is overridden by it", "base: &b {app: api}\nlabels: {app: web, <<: *b}\n", """{"app":"api"}""" },
        { "a sequence of mappings: the earlier wins", "x: &x {app: x, only-x: 1}\ny: &y {app: y, only-y: 2}\nlabels: {<<: [*x, *y]}\n", """{"app":"x","only-y":2,"only-x":1}""" },
        { "an inline mapping", "labels:\n  <<: {team: shop}\n  app: web\n", """{"team":"shop","app":"web"}""" },
        { "a merge inside a merged mapping", "a: &a {one: 1}\nb: &b {<<: *a, two: 2}\nlabels: {<<: *b, three: 3}\n", """{"one":1,"two":2,"three":3}""" },
        { "a quoted << is an ordinary key (JSON escapes it)", "labels: {\"<<\": x}\n", """{"\u003C\u003C":"x"}""" },
        { "a quoted << tagged !!merge merges", "base: &b {team: shop}\nlabels: {!!merge \"<<\": *b, app: web}\n", """{"team":"shop","app":"web"}""" },
        { "two << keys both merge, in order", "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nlabels: {<<: *a, <<: *b}\n", """{"x":2,"y":2}""" },
    };

    [Theory]
    [MemberData(nameof(Merges))]
    public void Merge_keys_merge_as_kubectl_merges_them(string behaviour, string yaml, string labels)
    {
        using var document = Convert(yaml);

        Assert.True(document.RootElement.GetProperty("labels").GetRawText() == labels, $"{behaviour}: {document.RootElement.GetProperty("labels").GetRawText()}");
    }

    [Theory]
    [InlineData("labels: {<<: web}\n", "<< must merge a mapping, or a sequence of mappings")]
    [InlineData("labels: {<<: [{a: 1}, web]}\n", "<< must merge a mapping, or a sequence of mappings")]
    [InlineData("labels: &loop {<<: *loop}\n", "<< merges a mapping into itself")]
    [InlineData("list: &l [{a: 1}]\nlabels: {<<: *l}\n", "<< must merge a mapping, or a sequence of mappings")]
    public void A_merge_of_something_else_or_of_itself_is_an_error(string yaml, string problem)
    {
        var e = Assert.Throws<YamlDotNet.Core.YamlException>(() => Convert(yaml));

        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Merges_share_one_budget_per_file_so_many_merges_of_a_big_mapping_are_an_error()
    {
        // 60 items each merging 20,000 pairs: 1.2 million merged pairs from a file of a few hundred KB.
        var yaml = new System.Text.StringBuilder("big: &big\n");
        for (var pair = 0; pair < 20_000; pair++)
        {
            yaml.Append($"  k{pair}: v\n");
        }

        yaml.Append("items:\n");
        for (var item = 0; item < 60; item++)
        {
            yaml.Append("- {<<: *big}\n");
        }

        var nodes = YamlNodes.Parse(yaml.ToString(), []);
        var items = nodes.Value(nodes.Documents[0], "items");

        // As a List is read: each item's kind is looked up, which merges it.
        var e = Assert.Throws<YamlDotNet.Core.YamlException>(() => nodes.Items(items).Select(item => nodes.ScalarValue(nodes.Resolve(item), "kind")).ToList());

        Assert.Contains($"merge keys (<<) take more than {YamlNodes.MaxMergeSteps} steps in this file", e.Message);
    }

    [Fact]
    public void A_mapping_merged_again_and_again_is_merged_once()
    {
        // 4,000 merges of 4,000 merges of an empty mapping: 16 million without reuse, 8,000 with it.
        var many = string.Join(", ", Enumerable.Repeat("*e", 4000));
        var again = string.Join(", ", Enumerable.Repeat("*l1", 4000));

        using var document = Convert($"e: &e {{}}\nl1: &l1 {{<<: [{many}]}}\nlabels: {{<<: [{again}], app: web}}\n");

        Assert.Equal("""{"app":"web"}""", document.RootElement.GetProperty("labels").GetRawText());
    }

    [Theory]
    [InlineData("a: 1\na: 2\n", "duplicate key \"a\"")]
    [InlineData("a: *nowhere\n", "alias *nowhere has no anchor")]
    [InlineData("--- {a: &x 1}\n--- {b: *x}\n", "alias *x has no anchor")]
    [InlineData("a:\n  b: c\n:\n \n", "a mapping key has no value")]
    public void What_a_node_tree_refuses_is_refused(string yaml, string problem)
    {
        var e = Assert.Throws<YamlDotNet.Core.YamlException>(() => YamlNodes.Parse(yaml, []));

        Assert.Contains(problem, e.Message);
    }

    private static JsonDocument Convert(string yaml)
    {
        var nodes = YamlNodes.Parse(yaml, []);
        return YamlToJson.Convert(nodes, nodes.Documents[0]);
    }
}
