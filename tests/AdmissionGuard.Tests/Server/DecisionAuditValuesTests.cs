using AdmissionGuard.Admission;
using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Tests.Server;

/// <summary>The audit line's enum values are made once per member and found by the member's number.</summary>
public class DecisionAuditValuesTests
{
    private enum WithGaps
    {
        First = 0,
        Fifth = 5,
        Second = 2,
    }

    [Theory]
    [InlineData(typeof(DecisionReason))]
    [InlineData(typeof(GuardMode))]
    [InlineData(typeof(WithGaps))]
    public void Every_member_is_found_at_its_number_and_written_by_its_name(Type enumType)
    {
        var values = DecisionAudit.ByNumber(enumType);

        foreach (Enum member in Enum.GetValues(enumType))
        {
            Assert.Equal(member.ToString(), values[Convert.ToInt32(member, System.Globalization.CultureInfo.InvariantCulture)].ToString());
        }

        Assert.Equal(Enum.GetValues(enumType).Cast<Enum>().Max(m => Convert.ToInt32(m, System.Globalization.CultureInfo.InvariantCulture)) + 1, values.Length);
    }

    [Theory]
    [InlineData(5, WithGaps.Fifth)]
    [InlineData(3, "3")]
    [InlineData(99, "99")]
    [InlineData(-1, "-1")]
    public void A_number_is_written_as_its_member_or_as_its_digits_when_no_member_has_it(int number, object written)
    {
        var values = DecisionAudit.ByNumber(typeof(WithGaps));

        Assert.Equal(written, DecisionAudit.Of(values, number).Value);
    }
}
