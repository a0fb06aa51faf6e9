using System.Text;
using System.Text.Json;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Tests;

/// <summary>Strings read with an expected value: the same text, and the expected instance when equal.</summary>
public class JsonReaderStepsTests
{
    private const string Update = "UPDATE";

    public static TheoryData<string, string, string?, bool> Values => new()
    {
        { "the expected value", "\"UPDATE\"", Update, true },
        { "the expected value, escaped", "\"\\u0055PDATE\"", Update, true },
        { "another value", "\"PATCH\"", "PATCH", false },
        { "a value that only starts like the expected one", "\"UPDATES\"", "UPDATES", false },
        { "not a string", "{\"a\":[1]}", null, false },
        { "null", "null", null, false },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void An_expected_value_is_that_instance_and_anything_else_is_read_as_it_is(string behaviour, string value, string? expected, bool sameInstance)
    {
        var json = Encoding.UTF8.GetBytes($$"""{"operation":{{value}},"next":true}""");
        var reader = new Utf8JsonReader(json);
        reader.Read();
        reader.Read();

        var read = JsonReaderSteps.NextString(ref reader, "CREATE", Update);

        Assert.True(expected == read, $"{behaviour}: read {read}");
        Assert.True(sameInstance == ReferenceEquals(Update, read), behaviour);
        Assert.True(reader.Read() && reader.ValueTextEquals("next"u8), $"{behaviour}: the reader is left after the value");
    }
}
