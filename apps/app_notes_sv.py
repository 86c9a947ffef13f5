"""The library's notes on a file it read, in Swedish for the coordinator.

The library writes its notes in English for analysts (the command line shows them as they
are). Each kind of note has one pattern here and a Swedish text filled from the parts the
pattern captures: file, column, sheet and layer names as they were written, counts the
Swedish way (:mod:`lagesbild_geo.svformat`). Where a note tells an analyst to use a
command-line flag or a Python argument, the Swedish text says what to do in the app.

A note no pattern matches is never dropped: :func:`notes_sv` returns it apart, and the page
shows it in English under a Swedish line that says so.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from app_notes_text import (
    CHOOSE,
    LITERAL,
    ROLE_LABELS_SV,
    RULES,
    STRING,
    Render,
    crs_label,
    n,
    num,
    q,
    quoted,
    rader,
    reason,
    role,
    role_pairs,
    rows,
    rule,
)

from lagesbild_geo.schema import CATEGORY_LABELS

#: Every rule, in the table's order (:func:`app_notes_text.rule` fills it as this module loads).
_RULES = RULES


# --------------------------------------------------------------------------- tables (read_table)

@rule("line_ends_cr", r'the lines end in CR only \(classic Mac, Excel for Mac "CSV \(Macintosh\)"\); '
      r"every line end was read as one\.")
def _(m: re.Match[str]) -> str:
    return ("raderna slutar med bara CR (äldre Mac, Excel för Mac ”CSV (Macintosh)”); varje radslut "
            "lästes som ett.")


@rule("line_ends_mixed", r"the file mixes line ends \(CR, LF and CR LF\); every line end was read as one\.")
def _(m: re.Match[str]) -> str:
    return "filen blandar olika slags radslut (CR, LF och CR LF); varje radslut lästes som ett."


@rule("redecoded", r"(?P<n>\d+) line\(s\) were not valid UTF-8 and were read as cp1252 \(Windows-1252\), the "
      r"rest of the file as UTF-8: line\(s\) (?P<rows>.+?)\. Check å, ä and ö there; save the file as UTF-8 "
      r"to avoid this\.")
def _(m: re.Match[str]) -> str:
    return (f"{rader(m['n'])} var inte giltig UTF-8 och lästes som Windows-1252, resten av filen som "
            f"UTF-8: rad {rows(m['rows'])}. Kontrollera å, ä och ö på de raderna; spara filen som UTF-8 "
            "(”CSV UTF-8” i Excel) så undviks det.")


@rule("sheet", r"read (?P<hidden>the hidden )?sheet (?P<sheet>" + STRING + r") of (?P<sheets>\[.*\]) \(choose "
      r"another with sheet=, --sheet on the command line or sheet = in lagesbild\.toml\)"
      r"(?::(?P<why> no visible sheet has incident columns)\.|\.)")
def _(m: re.Match[str]) -> str:
    what = "det dolda bladet" if m["hidden"] else "bladet"
    why = ", eftersom inget synligt blad har kolumner med händelser" if m["why"] else ""
    return (f"{what} {q(m['sheet'])} lästes av arbetsbokens blad {quoted(m['sheets'])}{why}. Ligger "
            "händelserna på ett annat blad: spara det bladet som en egen fil och ladda upp den "
            "(Excel: Arkiv ▸ Spara som ▸ CSV UTF-8 med bladet öppet).")


@rule("layer", r"read layer (?P<layer>" + STRING + r") of (?P<layers>\[.*\]) \(choose another with layer="
      r"(?:, or layer = under \[districts\] in lagesbild\.toml)?\)\.?")
def _(m: re.Match[str]) -> str:
    return (f"lagret {q(m['layer'])} lästes av filens lager {quoted(m['layers'])}. Ligger uppgifterna i ett "
            "annat lager: spara det lagret som en egen fil (till exempel i QGIS) och ladda upp den.")


@rule("sheet_ignored", r"sheet=(?P<sheet>\S+) ignored \(not an Excel file\)\.")
def _(m: re.Match[str]) -> str:
    return f"bladvalet {q(m['sheet']) if LITERAL.fullmatch(m['sheet']) else m['sheet']} användes inte: filen är inte en Excel-fil."


# --------------------------------------------------------------------------- incidents (read_incidents)

@rule("duplicate_columns", r"(?P<k>\d+) columns are named (?P<base>" + STRING + r") \((?P<listed>.+), left to "
      r"right\) and hold the same values; (?P<col>" + STRING + r") is used as the (?P<role>\w+) column\.")
def _(m: re.Match[str]) -> str:
    return (f"{n(m['k'])} kolumner heter {q(m['base'])} ({quoted(m['listed'])}, från vänster till höger) och "
            f"har samma innehåll; {q(m['col'])} används som {role(m['role'])}.")


@rule("half_pair", r"only one column of the coordinate pair\(s\) (?P<pairs>\[.*\]) was found; name the other "
      r"with columns=\.")
def _(m: re.Match[str]) -> str:
    return (f"bara den ena kolumnen av koordinatparet {role_pairs(m['pairs'])} hittades. Välj den andra {CHOOSE}.")


@rule("no_location", r"no coordinate columns found \(nor a geometry, address or place column\); every row is "
      r"rejected as 'no location'\. Columns not used: (?P<unused>.*)\. If two of them hold the coordinates, "
      r"name them with columns=\{'x': \.\.\., 'y': \.\.\.\} / --column x=NAME --column y=NAME \(the CRS is "
      r"recognised from the values\)\.")
def _(m: re.Match[str]) -> str:
    unused = "inga" if m["unused"] == "none" else quoted(m["unused"])
    return (f"inga koordinatkolumner hittades (och ingen geometri, adress eller plats); varje rad avvisas "
            f"med orsaken {reason('no location')}. Kolumner som inte används: {unused}. Om två av dem har "
            f"koordinaterna: välj dem som ”X-koordinat” och ”Y-koordinat” {CHOOSE} (koordinatsystemet "
            "känns igen av värdena).")


@rule("count_hint", r"column (?P<col>" + STRING + r") looks like a number of incidents per row \(whole numbers, up to "
      r"(?P<max>\d+)\); every row is read as ONE incident\. If each row counts several, name it: "
      r"--column count=.* \(columns=\{'count': .*\}\)\.")
def _(m: re.Match[str]) -> str:
    return (f"kolumnen {q(m['col'])} ser ut att ange antal händelser per rad (heltal, upp till "
            f"{n(m['max'])}); nu räknas varje rad som EN händelse. Är filen en sammanställd tabell där "
            f"varje rad räknar flera händelser: välj {q(m['col'])} som ”{ROLE_LABELS_SV['count']}” "
            f"{CHOOSE}.")


_TOTAL_ROW = re.compile(r"row (?P<row>\d+) \((?P<label>" + STRING + r"), (?P<value>.*?) in (?P<col>" + STRING + r")\)")


@rule("totals_rows", r"(?P<k>\d+) totals row\(s\) left out, rejected as 'totals row' \(they sum the other rows, "
      r"which would count them twice\): (?P<shown>.+)\.")
def _(m: re.Match[str]) -> str:
    shown = ", ".join(f"rad {n(t['row'])} ({q(t['label'])}, {t['value']} i {q(t['col'])})"
                      for t in _TOTAL_ROW.finditer(m["shown"])) or quoted(m["shown"])
    return (f"{rader(m['k'], 'summarad', 'summarader')} utelämnades och avvisas med orsaken {reason('totals row')} (de "
            f"summerar de andra raderna, som annars skulle räknas två gånger): {shown}.")


@rule("footer_rows", r"(?P<k>\d+) row\(s\) under or within the list say they are a total or a count of the rows "
      r"\((?P<shown>[^)]*)\), not an incident: rejected as 'totals row'\.")
def _(m: re.Match[str]) -> str:
    shown = rows(m["shown"].replace("row ", "rad "))
    return (f"{rader(m['k'])} under eller i listan säger att de är en summa eller ett antal rader ({shown}), "
            f"inte en händelse: de avvisas med orsaken {reason('totals row')}.")


@rule("gdal_note", r"GDAL, reading the file: (?P<msg>.+)")
def _(m: re.Match[str]) -> str:
    return f"GDAL, som läser kartfilen, anmärkte (på engelska): {m['msg']}"


@rule("count_column", r"(?P<rows>\d+) row\(s\) counting (?P<inc>\d+) incident\(s\) by column (?P<col>" + STRING
      + r"), read as one row per incident(?:; (?P<zero>\d+) row\(s\) count 0 and hold none)?\.")
def _(m: re.Match[str]) -> str:
    zero = f"; {rader(m['zero'])} har 0 och ger ingen händelse" if m["zero"] else ""
    return (f"{rader(m['rows'])} räknar tillsammans {n(m['inc'])} händelser enligt kolumnen "
            f"{q(m['col'])} och lästes som en rad per händelse{zero}.")


@rule("date_only", r"(?P<k>\d+) rows have a date but no time of day; set to 00:00\.")
def _(m: re.Match[str]) -> str:
    return (f"{rader(m['k'])} har datum men inget klockslag; de räknas som kl. 00:00 (tabellerna per "
            "timme visar dem vid midnatt).")


@rule("month_first", r"the dates written with '/' are month first \(03/15/2025, the American order; some cannot be "
      r"day first and none must be\), so all (?P<k>\d+) were read month/day/year\.")
def _(m: re.Match[str]) -> str:
    return (f"datumen skrivna med ”/” har månaden först (03/15/2025, amerikansk ordning; några kan inte ha dagen "
            f"först och inget måste ha det), så alla {n(m['k'])} lästes som månad/dag/år.")


@rule("no_time", r"no time column found; every row is rejected as 'missing time' \(name it with "
      r"columns=\{'date': \.\.\.\} / --column date=NAME, or pass time_optional=True / --time-optional\)\.")
def _(m: re.Match[str]) -> str:
    return (f"ingen kolumn med datum eller tid hittades; varje rad avvisas med orsaken "
            f"{reason('missing time')}. Välj kolumnen med datum som ”Datum” eller ”Datum och tid” {CHOOSE}.")


@rule("wide_months", r"(?P<k>\d+) columns are named as months \((?P<months>.+?)\): a wide table, one column "
      r"per month, which is not read as counts\. Turn it into .* then read it with --column count=Antal "
      r"--column date=Månad\.")
def _(m: re.Match[str]) -> str:
    return (f"{n(m['k'])} kolumner har månader som namn ({m['months'].replace(' ...', ' …')}): en bred tabell "
            "med en kolumn per månad, som inte läses som antal. Gör om den till en rad per område, brottstyp "
            "och månad med antalet i en egen kolumn (i Excel: Power Query, ”Avpivotera kolumner”), ladda upp "
            f"den igen och välj antalskolumnen som ”{ROLE_LABELS_SV['count']}” och månaden som ”Datum”.")


@rule("month_only", r"(?P<k>\d+) row\(s\) give only a month in (?P<col>" + STRING + r") \(e\.g\. (?P<ex>" + STRING
      + r")\); each is set to the month's first day at 00:00: counts per month and period hold, hours and "
      r"weekdays do not\.")
def _(m: re.Match[str]) -> str:
    return (f"{rader(m['k'])} anger bara en månad i {q(m['col'])} (till exempel {q(m['ex'])}); de räknas "
            "till månadens första dag kl. 00:00. Antalen per månad och period stämmer, men inte klockslag "
            "och veckodagar.")


@rule("month_first_days", r"(?P<k>\d+) row\(s\) of (?P<col>" + STRING + r") are a month's first day at 00:00 \(a "
      r"table per month\): their weekday and hour are not the incidents' and are left out of the tables by "
      r"weekday and hour\.")
def _(m: re.Match[str]) -> str:
    return (f"{rader(m['k'])} i {q(m['col'])} är en månads första dag kl. 00:00 (en tabell per månad): "
            "deras veckodag och klockslag är inte händelsernas, så de räknas inte med i tabellerna per "
            "veckodag och timme.")


@rule("no_category", r"no category column found; every row is 'ovrigt'\.")
def _(m: re.Match[str]) -> str:
    return (f"ingen kolumn med brottstyp hittades; varje rad räknas som ”{CATEGORY_LABELS.get('ovrigt', 'Övrigt')}”. "
            f"Finns brottstypen i någon kolumn: välj den som ”{ROLE_LABELS_SV['category']}” {CHOOSE}.")


@rule("geojson_metres", r"the file says WGS84 \(GeoJSON's default\) but its coordinates are metres; the CRS is "
      r"recognised from the values instead\.?")
def _(m: re.Match[str]) -> str:
    return ("filen anger WGS84 (GeoJSON-filers standard) men koordinaterna är i meter; koordinatsystemet "
            "kändes i stället igen av värdena.")


_FIT = re.compile(r"(?P<label>[^;]+?) \((?P<k>\d+) row\(s\): (?P<rows>[^)]*)\)")


@rule("mixed_crs", r"(?P<k>\d+) row\(s\) lie outside Sweden read as (?P<used>.+?) like the rest of the file, but "
      r"fit (?P<fits>.+): the file mixes coordinate systems\. They are rejected as 'outside Sweden'; correct "
      r"them in the source, or put them in a file of their own \(read with --crs / crs= when needed\)\.")
def _(m: re.Match[str]) -> str:
    fits = "; ".join(f"{crs_label(f['label'])} ({rader(f['k'])}: {rows(f['rows'])})"
                     for f in _FIT.finditer(m["fits"]))
    return (f"{rader(m['k'])} hamnar utanför Sverige när de läses som {crs_label(m['used'])} liksom resten "
            f"av filen, men passar {fits}: filen blandar koordinatsystem. De avvisas med orsaken "
            f"{reason('outside Sweden')}; rätta dem i källan, eller lägg dem i en egen fil och ladda upp den "
            "(koordinatsystemet känns igen av värdena).")


@rule("no_crs_fits", r"(?P<cols>.+?): (?P<k>\d+) row\(s\) hold numbers that fit no Swedish CRS \(WGS84, SWEREF 99 "
      r"TM, a SWEREF 99 local zone, RT90\), e\.g\. \((?P<a>\S+), (?P<b>\S+)\); they cannot be placed by these "
      r"coordinates\. If they are in another CRS \(e\.g\. Web Mercator\), name it with crs= \(--crs 3857\)\.")
def _(m: re.Match[str]) -> str:
    return (f"{m['cols']}: {rader(m['k'])} har tal som inte passar något svenskt koordinatsystem (WGS84, "
            f"SWEREF 99 TM, en lokal SWEREF 99-zon, RT90), till exempel ({num(m['a'])}; {num(m['b'])}); de kan "
            "inte placeras efter de här koordinaterna. Är de i ett annat koordinatsystem (till exempel Web "
            "Mercator): välj det under ”Koordinatsystem” för filen, eller exportera filen på nytt i SWEREF 99 "
            "TM eller WGS84.")


@rule("crs_given_mismatch", r"(?P<cols>.+?): the CRS was given as (?P<crs>\S+), but the values look like "
      r"(?P<seen>.+?); (?P<k>\d+) row\(s\) fall outside Sweden\. Check the CRS: leave crs= \(--crs\) out to "
      r"have it recognised, or name the right one\.")
def _(m: re.Match[str]) -> str:
    return (f"{m['cols']}: koordinatsystemet anges som {m['crs']}, men värdena ser ut att vara "
            f"{crs_label(m['seen'])}; {rader(m['k'])} hamnar utanför Sverige. Kontrollera "
            "koordinatsystemet: välj ”Känns igen av värdena” under ”Koordinatsystem” för filen om du "
            "valt det där, annars exportera filen på nytt med rätt koordinatsystem eller utan angivet.")


@rule("kept_for_geocoding", r"(?P<k>\d+) rows with unusable coordinates but an address or place name were kept "
      r"for geocoding\.")
def _(m: re.Match[str]) -> str:
    return (f"{rader(m['k'])} med oanvändbara koordinater men med adress eller platsnamn väntar på "
            "geokodning.")


@rule("wkt_column", r"positions read from the geometry (?P<kind>text \(WKT\)|in hex WKB) in column (?P<col>"
      + STRING + r")\.")
def _(m: re.Match[str]) -> str:
    kind = "som text (WKT)" if m["kind"].startswith("text") else "i hexadecimal WKB"
    return f"platserna lästes ur geometrin {kind} i kolumnen {q(m['col'])}."


@rule("wkt_srids", r"column (?P<col>" + STRING + r") gives several SRIDs \((?P<codes>[\d, ]+)\); the CRS is "
      r"recognised from the values instead\.")
def _(m: re.Match[str]) -> str:
    return (f"kolumnen {q(m['col'])} anger flera koordinatsystem (SRID {m['codes']}); koordinatsystemet "
            "känns i stället igen av värdena.")


@rule("house_numbers", r"the house numbers in (?P<num>" + STRING + r") were joined to the streets in (?P<street>"
      + STRING + r") for geocoding \((?P<k>\d+) row\(s\), e\.g\. (?P<ex>" + STRING + r")\)\.")
def _(m: re.Match[str]) -> str:
    return (f"gatunumren i {q(m['num'])} lades till gatorna i {q(m['street'])} inför geokodningen "
            f"({rader(m['k'])}, till exempel {q(m['ex'])}).")


@rule("time_unknown", r"(?P<k>\d+) row\(s\) have a date in (?P<date>" + STRING + r") but no time in (?P<time>"
      + STRING + r"); they are kept at their date: counted per day, month and district, left out of the tables by "
      r"hour and of a filter by hour\.")
def _(m: re.Match[str]) -> str:
    return (f"{rader(m['k'])} har datum i {q(m['date'])} men ingen tid i {q(m['time'])}; de räknas på sitt "
            "datum: per dag, månad och område, men inte i tabellerna per timme eller när du filtrerar på tid "
            "på dygnet.")


@rule("zero_coordinates", r"(?P<k>\d+) row\(s\) have the coordinates \(0, 0\), the usual stand-in for a missing "
      r"position, and are read as having none: (?P<kept>\d+) kept for geocoding by their address or place name, "
      r"(?P<lost>\d+) rejected as 'no location'\.")
def _(m: re.Match[str]) -> str:
    return (f"{rader(m['k'])} har koordinaterna (0, 0), som många system skriver när platsen saknas, och läses "
            f"som utan koordinater: {n(m['kept'])} väntar på geokodning av adress eller platsnamn, "
            f"{n(m['lost'])} avvisas med orsaken {reason('no location')}.")


# --------------------------------------------------------------------------- coordinate systems (report["crs_note"])

_AXES = (r"(?: Axes swapped in (?P<sw>\d+) of (?P<swn>\d+) rows(?:: (?P<swcol>.+?) holds (?P<how>the larger value|"
         r"the northing/latitude \(Swedish convention: X is north\)))?; fixed\.)?")


def _axes(m: re.Match[str]) -> str:
    if not m["sw"]:
        return ""
    out = f" X och Y var omkastade i {n(m['sw'])} av {rader(m['swn'])}"
    if m["swcol"]:
        out += (f": ”{m['swcol']}” har det större värdet" if m["how"] == "the larger value" else
                f": ”{m['swcol']}” har nordkoordinaten eller latituden (svensk konvention: X är norr)")
    return out + "; det är rättat."


@rule("crs_detected", r"(?P<cols>.+?): (?P<label>.+?) \((?P<code>EPSG:\d+)\) detected from the value ranges "
      r"\((?P<k>\d+) of (?P<all>\d+) rows fit\)\." + _AXES, source=False)
def _(m: re.Match[str]) -> str:
    return (f"{m['cols']}: koordinatsystemet {m['label']} ({m['code']}) kändes igen av värdena ({n(m['k'])} "
            f"av {rader(m['all'])} passar).{_axes(m)}")


@rule("crs_local_zone", r"(?P<cols>.+?): (?P<label>.+?) \((?P<code>EPSG:\d+)\) detected: the only local zone "
      r"that fits\." + _AXES, source=False)
def _(m: re.Match[str]) -> str:
    return (f"{m['cols']}: koordinatsystemet {m['label']} ({m['code']}) kändes igen av värdena (den enda "
            f"lokala zonen som passar).{_axes(m)}")


@rule("crs_given", r"(?P<cols>.+?): (?P<label>.+?) \((?P<code>EPSG:\d+)\) as given\.(?: Warning: the values "
      r"look like (?P<seen>.+?), not \S+\.)?" + _AXES, source=False)
def _(m: re.Match[str]) -> str:
    seen = (f" Varning: värdena ser ut att vara {crs_label(m['seen'])}, inte {m['code']}."
            if m["seen"] else "")
    return f"{m['cols']}: koordinatsystemet {m['label']} ({m['code']}), som filen anger.{seen}{_axes(m)}"


@rule("crs_none", r"(?P<cols>.+?): No row of (?P<pair>.+?) looks like Swedish coordinates \(WGS84, SWEREF 99 "
      r"TM, SWEREF 99 local zone or RT90\)\." + _AXES, source=False)
def _(m: re.Match[str]) -> str:
    return (f"{m['cols']}: ingen rad i {m['pair']} ser ut som svenska koordinater (WGS84, SWEREF 99 TM, en "
            f"lokal SWEREF 99-zon eller RT90).{_axes(m)}")


@rule("crs_no_coordinates", r"(?P<cols>.+?): No coordinates\.", source=False)
def _(m: re.Match[str]) -> str:
    return f"{m['cols']}: inga koordinater."


# --------------------------------------------------------------------------- geocoding (place_pending)

_HINT = re.compile(r"(?P<t>" + STRING + r") \(did you mean (?P<names>[^?]+)\?\)")
_SHARED = re.compile(r"(?P<t>" + STRING + r") \((?P<k>\d+) districts: (?P<codes>[^)]*)\)")


@rule("district_name_aao", r"place text\(s\) that match a district only when å, ä and ö are ignored were not "
      r"placed there \(å, ä and ö are letters\): (?P<shown>.+)\. Correct the names in the source if they mean "
      r"these districts\.")
def _(m: re.Match[str]) -> str:
    shown = "; ".join(f"{q(h['t'])} (menade du {h['names'].replace(', ', ' eller ')}?)"
                      for h in _HINT.finditer(m["shown"]))
    return ("platsnamn som bara stämmer med ett område om man bortser från å, ä och ö placerades inte där "
            f"(å, ä och ö är egna bokstäver): {shown}. Rätta namnen i källfilen om de avser de här områdena.")


@rule("district_name_shared", r"place text\(s\) that name several districts were not placed \(none is chosen\): "
      r"(?P<shown>.+)\. Give the district code instead of the name, or use the kommun's districts only "
      r"\(lagesbild build --kommun NAME\|CODE narrows a national layer\)\.")
def _(m: re.Match[str]) -> str:
    shown = "; ".join(f"{q(s['t'])} ({n(s['k'])} områden: {s['codes'].replace(' ...', ' …')})"
                      for s in _SHARED.finditer(m["shown"]))
    return (f"platsnamn som finns i flera områden placerades inte (inget av dem väljs): {shown}. Ange "
            "områdeskoden i stället för namnet, eller ladda upp en områdesindelning med bara din kommuns "
            "områden.")


# --------------------------------------------------------------------------- district layers (read_districts)

@rule("district_no_name", r"District layer (?P<label>.+?): no name column; the districts are named by their "
      r"codes in (?P<col>" + STRING + r")\.", source=False)
def _(m: re.Match[str]) -> str:
    return (f"Områdesindelningen {m['label']}: ingen kolumn med namn; områdena får heta som sina koder i "
            f"{q(m['col'])}.")


@rule("district_no_code", r"District layer (?P<label>.+?): no code column; the names in (?P<col>" + STRING
      + r") are used as codes\.", source=False)
def _(m: re.Match[str]) -> str:
    return (f"Områdesindelningen {m['label']}: ingen kolumn med koder; namnen i {q(m['col'])} används som "
            "koder.")


@rule("district_negative_population", r"(?P<k>\d+) negative population value\(s\) set to unknown", source=False)
def _(m: re.Match[str]) -> str:
    return f"{rader(m['k'], 'negativt befolkningstal', 'negativa befolkningstal')} räknas som okänd befolkning."


@rule("district_crs_guessed", r"the file has no CRS; (?P<code>\S+) \((?P<name>.+?)\) was recognised from the "
      r"coordinate values: check that the districts lie where they should \(set the CRS on the file to be "
      r"sure\)", source=False)
def _(m: re.Match[str]) -> str:
    return (f"filen anger inget koordinatsystem; {m['name']} ({m['code']}) kändes igen av koordinaterna. "
            "Kontrollera i kartan att områdena ligger rätt (ange koordinatsystemet i filen för att vara säker).")


_PROBLEMS: list[tuple[re.Pattern[str], Render]] = [
    (re.compile(r"(\d+) invalid geometr\(y/ies\) repaired \((.*)\)"),
     lambda p: f"{rader(p[1], 'ogiltig geometri', 'ogiltiga geometrier')} lagades ({p[2]})"),
    (re.compile(r"(\d+) duplicated code\(s\) dissolved"),
     lambda p: f"{n(p[1])} koder som förekom flera gånger slogs ihop till ett område var"),
    (re.compile(r"(\d+) empty/non-polygon feature\(s\) dropped"),
     lambda p: f"{n(p[1])} tomma objekt eller objekt utan yta togs bort"),
    (re.compile(r"districts overlap in (\d+) pair\(s\), (\d+) m² in all"),
     lambda p: f"områden överlappar varandra i {n(p[1])} par, sammanlagt {n(p[2])} m²"),
]


def _problem_sv(text: str) -> str | None:
    return next((render(p) for pat, render in _PROBLEMS if (p := pat.fullmatch(text))), None)


@rule("district_problems", r"District layer (?P<label>.+?): (?P<problems>.+) \(listed in the layer's report: "
      r"gdf\.attrs\['report'\] in Python, \"districts\" in a build's lagesbild\.json\)\.", source=False)
def _(m: re.Match[str]) -> str:
    parts = [_problem_sv(p) for p in m["problems"].split("; ")]
    if None in parts:  # a part worded otherwise: the whole note stays English
        raise _NoMatch
    return f"Områdesindelningen {m['label']}: " + "; ".join(str(p) for p in parts) + "."


@rule("population_no_key", r"Population: (?P<k>\d+) area\(s\) of the population table are not in the key table "
      r"\(e\.g\. (?P<ex>.+?)\): their people are not counted in any district\. The population table and the "
      r"key table are probably of different DeSO versions\.", source=False)
def _(m: re.Match[str]) -> str:
    return (f"Befolkning: {rader(m['k'], 'område', 'områden')} i befolkningstabellen finns inte i nyckeltabellen (till "
            f"exempel {m['ex']}); de invånarna räknas inte i något område. Tabellerna är troligen av olika "
            "DeSO-versioner.")


@rule("population_missing", r"Population: (?P<k>\d+) of (?P<all>\d+) districts got none from (?P<table>.+?) "
      r"\((?P<names>.*)\); their rates per 1 000 are left empty\. A district whose code or name changed between "
      r"the key table's and the layer's year is not matched: check those by hand\.", source=False)
def _(m: re.Match[str]) -> str:
    return (f"Befolkning: {n(m['k'])} av {n(m['all'])} områden fick ingen befolkning från {m['table']} "
            f"({m['names']}); deras antal per 1 000 invånare lämnas tomma. Ett område vars kod eller namn "
            "ändrats mellan nyckeltabellens och indelningens år känns inte igen: kontrollera dem för hand.")


@rule("population_key_2018", r"Population: the key table \((?P<ky>\d+)\) links DeSO 2018 to RegSO 2018; the "
      r"districts are of (?P<dy>\d+) \(RegSO 2025 changed some areas\)\. Use SCB's key table for DeSO/RegSO "
      r"2025 for exact figures\.", source=False)
def _(m: re.Match[str]) -> str:
    return (f"Befolkning: nyckeltabellen ({m['ky']}) kopplar DeSO 2018 till RegSO 2018, men områdena är från "
            f"{m['dy']} (RegSO 2025 ändrade vissa områden). Använd SCB:s nyckeltabell för DeSO/RegSO 2025 "
            "för exakta tal.")


@rule("population_year", r"Population: the population is of (?P<y>\d+), the districts of (?P<dy>\d+); rates "
      r"per 1 000 use (?P<y2>\d+)'s population\.", source=False)
def _(m: re.Match[str]) -> str:
    return (f"Befolkning: befolkningen är från {m['y']}, områdena från {m['dy']}; antal per 1 000 invånare "
            f"bygger på befolkningen {m['y2']}.")


# --------------------------------------------------------------------------- the notes in Swedish


class _NoMatch(Exception):
    """A pattern matched but a part of the note is worded otherwise: no Swedish text."""


#: A build's prefix on a district layer's notes (pipeline: "Districts (label): ...").
_DISTRICTS_PREFIX = re.compile(r"Districts \((?P<label>.+?)\): (?P<rest>.+)", re.DOTALL)


def note_kinds() -> list[str]:
    """The kinds of note that have a Swedish text, in the table's order."""
    return [kind for kind, _, _ in _RULES]


def note_sv(note: str) -> str | None:
    """One note of the library in Swedish; None when no pattern matches it.

    >>> note_sv("f.csv: 12 rows have a date but no time of day; set to 00:00.")[:40]
    'f.csv: 12 rader har datum men inget klo'
    """
    note = note.strip()
    if d := _DISTRICTS_PREFIX.fullmatch(note):
        inner = note_sv(d["rest"])
        return None if inner is None else f"Områdesindelningen ({d['label']}): {inner}"
    for _, pattern, render in _RULES:
        m = pattern.fullmatch(note)
        if m is not None:
            try:
                return render(m)
            except _NoMatch:
                continue
    return None


def notes_sv(notes: Sequence[str]) -> tuple[list[str], list[str]]:
    """(the notes that have a Swedish text, in Swedish; the others as they are), each in order.

    Nothing is dropped: every note is in one of the two lists.
    """
    swedish: list[str] = []
    english: list[str] = []
    for note in notes:
        sv = note_sv(note)
        if sv is None:
            english.append(note)
        else:
            swedish.append(sv)
    return swedish, english


_ZONE_UNKNOWN = re.compile(
    r"Coordinates in (?P<cols>.+?) look like a SWEREF 99 local zone \(eastings around 150 000 m\), but the zone "
    r"cannot be told from the values; candidates: (?P<zones>.+?)\. Name it with crs= \(--crs\), e\.g\. crs=3011 "
    r"for SWEREF 99 18 00, or give the kommun boundary \(boundary=, --boundary\): the zone that puts the points "
    r"in it is taken\.")


_LAYER_ZONE_UNKNOWN = re.compile(
    r"District layer (?P<name>.+?) has no CRS\. Coordinates in x/y look like a SWEREF 99 local zone \(eastings "
    r"around 150 000 m\), but the zone cannot be told from the values; candidates: (?P<zones>.+?)\. Set the CRS "
    r"on the file .*", re.DOTALL)


def crs_error_sv(text: str) -> str | None:
    """The reader's refusal of coordinates in a SWEREF 99 local zone it cannot tell (an
    incident file's, or a district layer's without a CRS), in Swedish and saying what to do
    in the app; None for another error."""
    if m := _LAYER_ZONE_UNKNOWN.fullmatch(text.strip()):
        zones = re.sub(r"SWEREF99 ", "SWEREF 99 ", m["zones"])
        return (f"Områdesindelningen {m['name']} anger inget koordinatsystem, och värdena ser ut att vara i en "
                f"lokal SWEREF 99-zon (östvärden kring 150 000 m) som inte går att avgöra (möjliga: {zones}). "
                "Välj zonen under ”Koordinatsystem” nedan: kommunens egen, till exempel SWEREF 99 18 00 i "
                "Stockholm, 12 00 i Göteborg och 13 30 i Malmö. (En shapefil har sitt koordinatsystem i "
                ".prj-filen: ladda upp zip-filen med alla delar, så behövs inget val.)")
    if not (m := _ZONE_UNKNOWN.fullmatch(text.strip())):
        return None
    zones = re.sub(r"SWEREF99 ", "SWEREF 99 ", m["zones"])
    return (f"Koordinaterna i {m['cols']} ser ut att vara i en lokal SWEREF 99-zon (östvärden kring 150 000 m), "
            f"men vilken zon går inte att avgöra av värdena (möjliga: {zones}). Välj zonen under "
            "”Koordinatsystem” nedan: kommunens egen, till exempel SWEREF 99 18 00 i Stockholm, 12 00 i "
            "Göteborg och 13 30 i Malmö (fråga kommunens GIS-ansvariga om du är osäker).")


def crs_note_sv(report: dict[str, object]) -> str | None:
    """The reader's note on the coordinate system in Swedish, when it says that the axes of
    some rows were swapped (then worth knowing); None otherwise or when no pattern matches."""
    note = str(report.get("crs_note") or "")
    if not report.get("swapped_rows") or not note:
        return None
    by_columns = report.get("crs_by_columns")
    keys = [str(k) for k in by_columns] if isinstance(by_columns, dict) else []
    cut = [0, *sorted(i + 2 for k in keys[1:] if (i := note.find(f"; {k}: ")) >= 0), len(note) + 2]
    parts = [note[a:b - 2] for a, b in itertools.pairwise(cut)]
    sv = [note_sv(p) for p in parts]
    return None if None in sv else " ".join(str(s) for s in sv)
