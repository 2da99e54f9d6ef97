#!/usr/bin/env python3
"""Writes the seed corpora: fuzz/corpus/<target>/seed-*. Run from anywhere; rerun after editing.

Seeds are small real inputs (the client-test fixtures, the shapes the unit tests use, queries the
NuGet client sends) so the fuzzer starts from inputs that reach deep into each parser. libFuzzer's
own additions to these folders are ignored by fuzz/.gitignore.
"""
import io
import pathlib
import shutil
import struct
import zipfile

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
NS = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"

FULL = f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="{NS}">
  <metadata minClientVersion="3.3.0">
    <id>Contoso.Utility</id>
    <version>2.0.0-beta.1+build.5</version>
    <title>Contoso Utility</title>
    <authors>Ann, Bob ,</authors>
    <owners>Contoso</owners>
    <description>Useful &amp; small &lt;things&gt; &#169; &#x263A; &quot;q&quot; &apos;a&apos;</description>
    <summary>Sum</summary>
    <releaseNotes><![CDATA[Fixed <bugs>]]></releaseNotes>
    <copyright>(c) Contoso</copyright>
    <language>en-US</language>
    <tags>one two,three , four</tags>
    <projectUrl>https://example.com/</projectUrl>
    <iconUrl>https://example.com/icon.png</iconUrl>
    <icon>images\\icon.png</icon>
    <readme>docs/README.md</readme>
    <licenseUrl>https://licenses.nuget.org/MIT</licenseUrl>
    <license type="expression">MIT</license>
    <requireLicenseAcceptance>true</requireLicenseAcceptance>
    <developmentDependency>True</developmentDependency>
    <serviceable>1</serviceable>
    <repository type="git" url="https://example.com/repo.git" branch="main" commit="abc123" />
    <packageTypes><packageType name="DotnetTool" /><packageType name="Custom" version="1.0" /></packageTypes>
    <dependencies>
      <group targetFramework="net8.0">
        <dependency id="Newtonsoft.Json" version="[13.0.1, 14.0)" include="Runtime,Compile" exclude="Build" />
      </group>
      <group targetFramework=".NETStandard2.0" />
    </dependencies>
    <frameworkAssemblies>
      <frameworkAssembly assemblyName="System.Net.Http" targetFramework="net45, net46" />
    </frameworkAssemblies>
    <frameworkReferences>
      <group targetFramework="net8.0"><frameworkReference name="Microsoft.AspNetCore.App" /></group>
    </frameworkReferences>
  </metadata>
  <files><file src="x" /></files>
</package>
"""


def minimal(extra="", id_="Foo.Bar", version="1.0.0"):
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<package xmlns="{NS}"><metadata>'
        f"<id>{id_}</id><version>{version}</version><authors>Ann</authors>"
        f"<description>Desc</description>{extra}</metadata></package>"
    )


NUSPECS = {
    "full": FULL,
    "minimal": minimal(),
    "flat-deps": minimal('<dependencies><dependency id="A" version="[1.0,2.0)"/>'
                         '<dependency id="B" version="3.0.0"/><dependency id="C" version=""/></dependencies>'),
    "license-file": minimal('<license type="file">LICENSE.txt</license><icon>icon.png</icon>'),
    "prefixed": '<n:package xmlns:n="urn:x"><n:metadata n:minClientVersion="2.12"><n:id>A</n:id>'
                "<n:version>1.0</n:version><n:authors>x</n:authors><n:description>d</n:description>"
                "</n:metadata></n:package>",
    "no-namespace": "<package><metadata><id>A</id><version>1.0.0.1</version><authors>x</authors>"
                    "<description>d</description></metadata></package>",
}


def write(target, name, data):
    folder = FUZZ / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"seed-{name}").write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def zipped(entries, method=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in entries:
            # A fixed date keeps the seeds byte-identical from run to run.
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, compress_type=method)
    return out.getvalue()


def arbitrary_string(text):
    # Only a starting point: `arbitrary` decodes these bytes its own way, and the fuzzer mutates
    # them into whatever layout reaches further.
    return struct.pack("<I", len(text)) + text.encode()


def portable_pdb(pdb_id):
    """A metadata root (`BSJB`) with one `#Pdb` stream whose first 20 bytes are `pdb_id`."""
    head = b"BSJB" + struct.pack("<HHII", 1, 1, 0, 12) + b"PDB v1.0\0\0\0\0" + struct.pack("<HH", 0, 1)
    return head + struct.pack("<II", 48, 32) + b"#Pdb\0\0\0\0" + pdb_id + bytes(12)


def pe_file(guid, stamp, checksum=None):
    """A PE32 file with one section holding a debug directory: a portable CodeView entry naming
    `guid`/`stamp` and, when given, a SHA256 PDB checksum entry."""
    codeview = b"RSDS" + guid + struct.pack("<I", 1) + b"Lib.pdb\0"
    entries = [(stamp, 0x0100, 0x504D, 2, codeview)]
    if checksum is not None:
        entries.append((0, 1, 0, 19, b"SHA256\0" + checksum))
    section = bytearray(0x200)
    data_at = 0x40
    for i, (ts, major, minor, typ, data) in enumerate(entries):
        section[i * 28:(i + 1) * 28] = struct.pack("<IIHHIIII", 0, ts, major, minor, typ, len(data),
                                                   0x2000 + data_at, 0x200 + data_at)
        section[data_at:data_at + len(data)] = data
        data_at += 0x80
    dos = b"MZ" + bytes(0x3A) + struct.pack("<I", 0x80) + bytes(0x40)
    coff = b"PE\0\0" + struct.pack("<HHIIIHH", 0x14C, 1, 0, 0, 0, 224, 0x2102)
    optional = bytearray(224)
    struct.pack_into("<H", optional, 0, 0x10B)
    struct.pack_into("<II", optional, 32, 0x2000, 0x200)
    struct.pack_into("<II", optional, 56, 0x4000, 0x200)
    struct.pack_into("<I", optional, 92, 16)
    struct.pack_into("<II", optional, 96 + 6 * 8, 0x2000, 28 * len(entries))
    header = b".text\0\0\0" + struct.pack("<IIIIIIHHI", 0x200, 0x2000, 0x200, 0x200, 0, 0, 0, 0, 0x60000020)
    head = dos + coff + bytes(optional) + header
    return head + bytes(0x200 - len(head)) + bytes(section)


def main():
    corpus = FUZZ / "corpus"
    if corpus.exists():
        for seed in corpus.glob("*/seed-*"):
            seed.unlink()

    # nuspec: the client-test fixtures, the unit-test shapes, and a UTF-16 file.
    for path in sorted((ROOT / "tests/fixtures/clients").glob("*.nuspec")):
        write("nuspec", path.stem, path.read_bytes())
    for name, xml in NUSPECS.items():
        write("nuspec", name, xml)
    write("nuspec", "utf16", b"\xff\xfe" + NUSPECS["minimal"].encode("utf-16-le"))

    # nupkg, mode 0 (raw upload): real-shaped packages.
    readme = b"# Foo\nA readme.\n"
    packages = {
        "minimal": [("Foo.Bar.nuspec", NUSPECS["minimal"])],
        "files": [
            ("Contoso.Utility.nuspec", FULL),
            ("_rels/.rels", "<Relationships/>"),
            ("[Content_Types].xml", "<Types/>"),
            ("docs/README.md", readme),
            ("images/icon.png", b"\x89PNG\r\n\x1a\n"),
            ("lib/net8.0/Contoso.Utility.dll", b"MZ"),
        ],
        "license-file": [("Foo.Bar.nuspec", NUSPECS["license-file"]), ("LICENSE.txt", "MIT"),
                         ("icon.png", b"\x89PNG")],
        "signed": [("Foo.Bar.nuspec", NUSPECS["minimal"]), (".signature.p7s", b"\x30\x03\x06\x01\x00")],
        "escaped-name": [("Foo.Bar.nuspec", NUSPECS["minimal"]), ("content/a%20b%2Bc.txt", "x")],
    }
    for name, entries in packages.items():
        write("nupkg", f"zip-{name}", b"\x00" + zipped(entries))
    write("nupkg", "zip-stored", b"\x00" + zipped(packages["minimal"], zipfile.ZIP_STORED))
    # nupkg, mode 1 (structured): a few entry lists for `arbitrary` to grow from.
    write("nupkg", "built-readme", b"\x01" + b"\x01" + arbitrary_string("README.md") + b"\x00"
          + arbitrary_string("readme.md") + readme)
    write("nupkg", "built-empty", b"\x01")

    # version: "<a>\n<b>", each tried as a version and as a range.
    versions = [
        "1.0.0\n[1.0,2.0)", "1.0.0-beta.1+meta\n(,1.0]", "1.01.1.0\n[1.0]", "2.0.0-rc.1\n1.0",
        "1.0.0-alpha\n1.0.0-ALPHA", "1.0.0-2\n1.0.0-10", "1.0.0.0\n(1.0, )", " 1.0 \n[ 1.0 , 2.0 ]",
        "9999999999999999999.0\n(,)", "1.0.0+a.b-c\n[1.0.0-a, 1.0.0-a]",
    ]
    for i, text in enumerate(versions):
        write("version", str(i), text)

    # odata: "<segment>\n<query string>", including what NuGet clients send.
    odata = [
        "Packages()\n$filter=IsLatestVersion&$orderby=DownloadCount%20desc,Id&$skip=0&$top=30&semVerLevel=2.0.0",
        "Search()\n$filter=IsLatestVersion&searchTerm='json'&targetFramework=''&includePrerelease=false"
        "&$skip=0&$top=26&semVerLevel=2.0.0",
        "FindPackagesById()\nid='Acme.Json'&semVerLevel=2.0.0",
        "Packages(Id='Acme.Json',Version='1.0.0')\n",
        "Packages\n$filter=tolower(Id)%20eq%20'acme.json'%20and%20not%20IsPrerelease&$inlinecount=allpages",
        "Packages()\n$filter=substringof('js',tolower(Title))%20or%20startswith(Id,'Acme')"
        "&$select=Id,Version&$orderby=Published%20asc",
        "Packages()\n$filter=(DownloadCount%20gt%2010L)%20and%20Version%20eq%20'1.0'%20and%20Title%20ne%20null"
        "&$count=true&$format=atom",
        "Search()\nsearchTerm='id:Acme%20tags:%22a%20b%22%20version:1.0.0'&includePrerelease=true&$orderby=Title",
    ]
    for i, text in enumerate(odata):
        write("odata", str(i), text)
    # The inputs behind the regression tests in src/protocol/odata_query.rs and odata_filter.rs.
    write("odata", "next-link-encoded-skip", "Packages()\n$sk%69p=5")
    write("odata", "repeated-orderby", "Packages()\n$orderby=" + ",".join(["Id"] * 2100))
    write("odata", "long-or-chain", "Packages()\n$filter=" + "+or+".join(["Listed"] * 101))

    # search: one options byte, then the query (and, with bit 0x10, "\n<packageType>").
    searches = [
        (0, "json"),
        (3, 'json id:Newtonsoft tags:"web api" packageid:Acme.Lib version:1.0.0 owner:alice'),
        (4, 'a" OR NEAR(b) * title:x description:"y z" author:Ann summary:s'),
        (0x10, "tool\nDotnetTool"),
        (8, "Acme.HttpClient-Extras_v2 café 日本語"),
    ]
    for i, (options, text) in enumerate(searches):
        write("search", str(i), bytes([options]) + text.encode())

    # pe and pdb: a matching pair (with and without a checksum entry), a Windows PDB header.
    guid = bytes(range(16))
    pdb = portable_pdb(guid + struct.pack("<I", 0x5F5E100))
    write("pdb", "portable", pdb)
    write("pdb", "windows", b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0" + bytes(32))
    write("pe", "codeview", pe_file(guid, 0x5F5E100))
    write("pe", "codeview-checksum", pe_file(guid, 0x5F5E100, bytes(32)))


if __name__ == "__main__":
    main()
