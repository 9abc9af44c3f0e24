/* test_dtls.c: DTLS record walking and hello reassembly (dissect/dtls.c),
 * on real datagrams from the corpus captures, and on those hellos cut into
 * fragments, reordered, repeated, cut short and garbled. */
#include "testutil.h"

#include "dissect/dtls.h"
#include "dissect/fingerprint.h"
#include "dissect/tls.h"

/* Each FX_ below is one UDP payload exactly as captured (hex), with the
 * capture (under ../shared/corpus/ndpi) and frame it came from. */

/* corpus/ndpi/dtls.pcap frame 1: ClientHello (record DTLS 1.0, client_version DTLS 1.2), one
 * record; UDP payload, 155 bytes. */
#define FX_DTLS10_CH                                                                               \
    "16feff0000000000000000008e010000820000000000000082fefdceb06d2a04cb2a1517c2e266ed6db6936e"     \
    "6e7a5772aacdd0e2dbd068ce26737e00000018c02bc02fcca9cca8c009c013c00ac014009c002f0035000a01"     \
    "000040ff010001000017000000230000000d00140012040308040401050308050501080606010201000e0005"     \
    "0002000100000b00020100000a00080006001d00170018"

/* corpus/ndpi/dtls.pcap frame 7: DTLS 1.3 ClientHello, one record; UDP payload, 522 bytes. */
#define FX_DTLS13_CH1                                                                              \
    "16fefd000000000000000001fd010001f100000000000001f1fefdce7a2a37f1286a36c4d13bb36446c89ad6"     \
    "b11cfff09961cb97089e9b32a2d27d00000036130113021303c02cc02bc030c02f009f009ecca9cca8ccaac0"     \
    "27c023c028c024c00ac009c014c013006b006700390033cc14cc13cc1501000191002d0003020001002b0003"     \
    "02fefc000d001c001a0603050304030806080b0805080a080408090601050104010301000a000c000a001900"     \
    "18001700150100001600000033014b01490017004104168466c2c69ed246120ddf54f191f8b03d7149750390"     \
    "3a1ed4d9a89ecd7826f656b8df63c2e7a1811fd23c4ddba75fc0af9ca78ca6bd1edbaeca5d707ccb8a7e0100"     \
    "0100b8750a92d038ccc0e772773fe0b72dd5090b64ea673f299ded1a5337313175abde3258a017310757cdda"     \
    "b10e51415ec761124175e5b7daf988bfa3d8183257959cfe343d2d08796fc85ee8d9ace79e141a160685c171"     \
    "d26226c3acfcd7ad45bbc1c36b821d384ac8dbdd6536e143b300f1f315a7d4005eebe259984b19094716f740"     \
    "86a30db35d7b2e026904f64150567c609b08959699f117755d587c9bd9ce7425188aef1273c7fd826bb5a62c"     \
    "ce3d65c95c4248d5a4e6bbdaa84f959dafd1dbc7d119639801b38747ed24c144df7ebe5b6f2ed2dfe80bd57d"     \
    "927b8ca2b6a2bb4d3e6ba58ecbc48c3afea6b7ab355d448181b4b4779220f6deee50be9b1b58"

/* corpus/ndpi/dtls.pcap frame 8: DTLS 1.3 HelloRetryRequest (ServerHello with the special random);
 * UDP payload, 144 bytes. */
#define FX_DTLS13_HRR                                                                              \
    "16fefd00000000000000000083020000770000000000000077fefdcf21ad74e59a6111be1d8c021e65b891c2"     \
    "a211167abb8c5e079e09e2c8a8339c00130100004f002b0002fefc002c00450043200103508e696274f267b0"     \
    "49cd7dbbc20047a9d79be0fdb9bcaf3d1024286d1f581301cd0b21169620027f66e3eeed04050ef3a331df1e"     \
    "806a51ace304cfda5f1096f3"

/* corpus/ndpi/dtls.pcap frame 9: DTLS 1.3 second ClientHello (message_seq 1); UDP payload, 595
 * bytes. */
#define FX_DTLS13_CH2                                                                              \
    "16fefd000000000000000102460100023a000100000000023afefdce7a2a37f1286a36c4d13bb36446c89ad6"     \
    "b11cfff09961cb97089e9b32a2d27d00000036130113021303c02cc02bc030c02f009f009ecca9cca8ccaac0"     \
    "27c023c028c024c00ac009c014c013006b006700390033cc14cc13cc15010001da002b000302fefc002c0045"     \
    "0043200103508e696274f267b049cd7dbbc20047a9d79be0fdb9bcaf3d1024286d1f581301cd0b2116962002"     \
    "7f66e3eeed04050ef3a331df1e806a51ace304cfda5f1096f3002d0003020001000d001c001a060305030403"     \
    "0806080b0805080a080408090601050104010301000a000c000a00190018001700150100001600000033014b"     \
    "01490017004104168466c2c69ed246120ddf54f191f8b03d71497503903a1ed4d9a89ecd7826f656b8df63c2"     \
    "e7a1811fd23c4ddba75fc0af9ca78ca6bd1edbaeca5d707ccb8a7e01000100b8750a92d038ccc0e772773fe0"     \
    "b72dd5090b64ea673f299ded1a5337313175abde3258a017310757cddab10e51415ec761124175e5b7daf988"     \
    "bfa3d8183257959cfe343d2d08796fc85ee8d9ace79e141a160685c171d26226c3acfcd7ad45bbc1c36b821d"     \
    "384ac8dbdd6536e143b300f1f315a7d4005eebe259984b19094716f74086a30db35d7b2e026904f64150567c"     \
    "609b08959699f117755d587c9bd9ce7425188aef1273c7fd826bb5a62cce3d65c95c4248d5a4e6bbdaa84f95"     \
    "9dafd1dbc7d119639801b38747ed24c144df7ebe5b6f2ed2dfe80bd57d927b8ca2b6a2bb4d3e6ba58ecbc48c"     \
    "3afea6b7ab355d448181b4b4779220f6deee50be9b1b58"

/* corpus/ndpi/dtls.pcap frame 10: DTLS 1.3 ServerHello (supported_versions 0xfefc); UDP payload,
 * 144 bytes. */
#define FX_DTLS13_SH                                                                               \
    "16fefd00000000000000010083020000770001000000000077fefd5b735f4ed19246471d47f79878fb2d2e13"     \
    "a895100d8629d8c3ac6e2a66ca944b00130100004f003300450017004104b0abcfd33074fc9a565c40f05df3"     \
    "bc54225f1719ff95a061925daab2b3fa58a7a7e3af38381350c4f5155e9a1631d5211f4353e2ade2315c3855"     \
    "ccf7f8d1c186002b0002fefc"

/* corpus/ndpi/dtls_session_id_and_coockie_both.pcap frame 1: ClientHello with a session id; UDP
 * payload, 99 bytes. */
#define FX_SIDCK_CH1                                                                               \
    "16fefd000000000000000000560100004a000000000000004afefd3fc15b397b7c6648012efa02ef69e2fac7"     \
    "4534c631c046fe86fb3fb2ff4bd41d203832002f8393c761e3b64aae0df27f5c9b5716b19e1f7e852712a5a4"     \
    "5e6d493e000002c02c0100"

/* corpus/ndpi/dtls_session_id_and_coockie_both.pcap frame 2: HelloVerifyRequest; UDP payload, 48
 * bytes. */
#define FX_SIDCK_HVR                                                                               \
    "16feff00000000000000000023030000170000000000000017feff141c0efc217010049e0680531d364ee05e"     \
    "aa42a69e"

/* corpus/ndpi/dtls_session_id_and_coockie_both.pcap frame 3: ClientHello with session id and
 * cookie; UDP payload, 119 bytes. */
#define FX_SIDCK_CH2                                                                               \
    "16fefd0000000000000001006a0100005e000100000000005efefd3fc15b397b7c6648012efa02ef69e2fac7"     \
    "4534c631c046fe86fb3fb2ff4bd41d203832002f8393c761e3b64aae0df27f5c9b5716b19e1f7e852712a5a4"     \
    "5e6d493e141c0efc217010049e0680531d364ee05eaa42a69e0002c02c0100"

/* corpus/ndpi/dtls_session_id_and_coockie_both.pcap frame 4: ServerHello, ChangeCipherSpec, epoch-1
 * Finished; UDP payload, 170 bytes. */
#define FX_SIDCK_SH                                                                                \
    "16fefd00000000000000010052020000460001000000000046fefd87d32576f1aa0f82fb79365ad8d1e14501"     \
    "75be58a4dd65721328f1a5462d10d7203832002f8393c761e3b64aae0df27f5c9b5716b19e1f7e852712a5a4"     \
    "5e6d493ec02c0014fefd000000000000000200010116fefd00010000000000000030618aa4f2e94ab0ce1098"     \
    "08fb65e5aa146820da2ba7840cb58a603f4f42eccfddf52b338f1ccd0ac65f5826b9bc05c7ae"

/* corpus/ndpi/dtls_old_version.pcapng frame 1: ClientHello, record and client_version 0x0100
 * (DTLS1_BAD_VER); UDP payload, 99 bytes. */
#define FX_OLD_CH1                                                                                 \
    "160100000000000000000000560100004a000000000000004a01005ee9ea2262f79f376b50167f0617d3426e"     \
    "3a52f63f66b6afe34a0736863deaa52003c229be15d620515eef0eca0aafdbc938e008fee8f21a81a57206fd"     \
    "375b6bd800000200350100"

/* corpus/ndpi/dtls_old_version.pcapng frame 3: HelloVerifyRequest, version 0x0100; UDP payload, 48
 * bytes. */
#define FX_OLD_HVR                                                                                 \
    "16010000000000000000000023030000170000000000000017010014942f25f0c265c288f24cd680e7072353"     \
    "a8d5df74"

/* corpus/ndpi/dtls_old_version.pcapng frame 6: ClientHello with the cookie; UDP payload, 119 bytes.
 */
#define FX_OLD_CH2                                                                                 \
    "1601000000000000000001006a0100005e000100000000005e01005ee9ea2262f79f376b50167f0617d3426e"     \
    "3a52f63f66b6afe34a0736863deaa52003c229be15d620515eef0eca0aafdbc938e008fee8f21a81a57206fd"     \
    "375b6bd814942f25f0c265c288f24cd680e7072353a8d5df74000200350100"

/* corpus/ndpi/dtls_old_version.pcapng frame 7: ServerHello, ChangeCipherSpec, epoch-1 Finished; UDP
 * payload, 188 bytes. */
#define FX_OLD_SH                                                                                  \
    "160100000000000000000100520200004600010000000000460100ce0132b17d61b071d1b92cfba84333592e"     \
    "4a33ad74f098e6ac1a1902433b18982003c229be15d620515eef0eca0aafdbc938e008fee8f21a81a57206fd"     \
    "375b6bd80035001401000000000000000002000301000216010000010000000000000040e0dbe7c1f48be402"     \
    "533556ca0372714eafe3ee632bbe88236bd52a220e5bb0a513ba6b9295794f7bff944d9348a323034964bcf5"     \
    "6208360835514f3d26045404"

/* corpus/ndpi/dtls_certificate_fragments.pcap frame 4: ServerHello and the first fragment of a
 * Certificate; UDP payload, 1412 bytes. */
#define FX_FRAG_SH                                                                                 \
    "16feff00000000000000010042020000360001000000000036feff7b1bc9c8b5d63ebb8e1cbe4c2bb63526c9"     \
    "c4012d00b49fa23d29f8609da636c200003500000eff0100010000230000000f00010116feff000000000000"     \
    "000205280b00060b000200000000051c00060800060530820601308203e9a0030201020202010e300d06092a"     \
    "864886f70d01010b050030818a310b3009060355040613024e4f310d300b060355040813044f736c6f310d30"     \
    "0b060355040713044f736c6f311b3019060355040a13124f7065726120536f66747761726520415341311230"     \
    "10060355040b13094f70657261204d6178311530130603550403130c4f70657261204d617820434131153013"     \
    "0603550429130c4f70657261204d6178204341301e170d3139303432353039353830365a170d313930353235"     \
    "3039353830365a3077310b3009060355040613024e4f310d300b060355040813044f736c6f310d300b060355"     \
    "040713044f736c6f311b3019060355040a13124f7065726120536f6674776172652041534131123010060355"     \
    "040b13094f70657261204d617831193017060355040314102a2e6f706572612d6d696e692e6e657430820122"     \
    "300d06092a864886f70d01010105000382010f003082010a0282010100e44f33e1ef57db97fd834353586425"     \
    "9422abd0a93b38cb2fec26ce4fe6c649c2fe5cedeffd90837a9bcae296e62072dc967168f3b9da80f0c48b22"     \
    "96678e933e0c87c0e71f24f1df68480fef8888beb8f405ea62c1ac1e4f0b238ee269433ab9bd44bbc3110e01"     \
    "5f21d803b01fe23980554ba8614b8e10826059dd65514074447ba8d6c90b4a0caa285ed9d1314dbd77cc5d2c"     \
    "74ebba3b3416d9c9e37eddf8389a77213eb27b9a8abc9034dae92d234867fa6ae9ec336a5e2ed0d35efd6952"     \
    "8904caa990575c02fcf067981d3bfeeb0d3173102a32226f292ee8b6cbd445bfbb02112bf417c3e5ca45c15c"     \
    "62f9265020b89ba33c2ecc5257c7e708ca980857650203010001a38201813082017d30090603551d13040230"     \
    "00301106096086480186f8420101040403020640302b06096086480186f842010d041e161c4f70657261204d"     \
    "617820536572766572204365727469666963617465301d0603551d0e04160414e8091c79d5cc64a24b12abe3"     \
    "c7e436bd74f86d213081bf0603551d230481b73081b48014b2a3cb39e5d900a9f6076893469917305f60e0cc"     \
    "a18190a4818d30818a310b3009060355040613024e4f310d300b060355040813044f736c6f310d300b060355"     \
    "040713044f736c6f311b3019060355040a13124f7065726120536f6674776172652041534131123010060355"     \
    "040b13094f70657261204d6178311530130603550403130c4f70657261204d61782043413115301306035504"     \
    "29130c4f70657261204d6178204341820900cd2927019af4a3eb30130603551d25040c300a06082b06010505"     \
    "070301300b0603551d0f0404030205a0302d0603551d110426302482102a2e73616d73756e676d61782e636f"     \
    "6d82102a2e6f706572612d6d696e692e6e6574300d06092a864886f70d01010b050003820201002cc4c6b3b7"     \
    "dee63f387cf6e80a167fa0721a8dfbc83073faa00abdb83a0ac2c656dc02e6e837d1b0355cb31012e9f317f9"     \
    "5f6b946e9ce1524370f036b781c386f56454ea36eb0f559c458e89bced0c9a7eed60e07269ab766dfe9ca386"     \
    "9eaa8a2b4385df1f85e18ced1f364852c529c577e601d5a4d17d841167da48caaa2098d0bd98919316d16ce9"     \
    "c263b355052c9d97b3a9f944931280a7437404ba3482830a784b998dbd0c7a6212a1b8945de8afab73d2c86a"     \
    "6d6e7c3b8f3ee857f6a96af23999cf3c5eb90262614555068a5d07a91219f5c7a3d3e3dfd66a51c5553ba355"     \
    "e15cd5b06b3c0897cfad02720e769afb0c9b640cd99763244ac0ea3a68401641e71e113c8d8772f0204dae9e"     \
    "721984b7"

/* corpus/ndpi/dtls_certificate_fragments.pcap frame 5: the Certificate's second fragment and
 * ServerHelloDone; UDP payload, 289 bytes. */
#define FX_FRAG_CERT2                                                                              \
    "16feff000000000000000300fb0b00060b000200051c0000ef199670f2717feb322e6e64afc245920e455780"     \
    "255ae61566a2910e4497358db00e8e0947293b6e92b796e37f1d97d3a23dfa56244c531a06cce21d35042d74"     \
    "b0d9f48ea5e6bcaf54fe4056f7ec7cb0a6f6c640c6386d2d846008f6bea17ecc0d7ff5a4e200f5272ab6360e"     \
    "f64eeb535f8442ccd2eb2b900541dbceacc90c4e7e4abd0561d5740a11ce52c1f9a6a156466624318d64c73d"     \
    "d608316a2d9cf73825e0308e1d9473783947d8b637652998e88ce3bf0c8d95625f4961bd5bc550ef23f8cb0a"     \
    "95f44b6d2a95e32ddf77fabdeb5c8148169ccda30d230fa7a3c0464e559a68e0c15b99dc06c1dcc77adb4fe8"     \
    "16feff0000000000000004000c0e0000000003000000000000"

/* corpus/ndpi/dtls_certificate_fragments.pcap frame 21: DTLS 1.2 ClientHello of the second flow;
 * UDP payload, 155 bytes. */
#define FX_FRAG_CH                                                                                 \
    "16feff0000000000000000008e010000820000000000000082fefd2f6f8f91baefc2d01dd254571e757e7d4d"     \
    "0ca0f2e2959f32adb326e8612687d900000018c02bc02fcca9cca8c009c013c00ac014009c002f0035000a01"     \
    "00004000170000ff01000100000a00080006001d00170018000b0002010000230000000d0014001204030804"     \
    "0401050308050501080606010201000e00050002000100"

/* corpus/ndpi/dtls_certificate_fragments.pcap frame 23: ServerHello and five Certificate fragments:
 * six records; UDP payload, 1280 bytes. */
#define FX_FRAG_SH6                                                                                \
    "16fefd0000000000000000004e020000420000000000000042fefd284a3a3acf3c13e57e89b4a6f0f0d67c55"     \
    "db21a3acd3493f4a1221039ba4897300c02f00001aff01000100000b00040300010200230000000e00050002"     \
    "00010016fefd000000000000000100980b0006b0000100000000008c0006ad0006aa308206a63082058ea003"     \
    "02010202104ce157a9b085e1bba0e5360de8150cac300d06092a864886f70d01010b050030818f310b300906"     \
    "0355040613024742311b30190603550408131247726561746572204d616e636865737465723110300e060355"     \
    "0407130753616c666f726431183016060355040a130f5365637469676f204c696d69746516fefd0000000000"     \
    "00000200f30b0006b0000100008c0000e764313730350603550403132e5365637469676f2052534120446f6d"     \
    "61696e2056616c69646174696f6e2053656375726520536572766572204341301e170d323030333236303030"     \
    "3030305a170d3232303632383030303030305a30173115301306035504030c0c2a2e646973636f72642e6767"     \
    "30820122300d06092a864886f70d01010105000382010f003082010a0282010100acb0e26a87ac77873e27f0"     \
    "64b229b945bf1650d8f40c5f4a7a7ef0b787994c50c2591727727fb6450455f03c32b9a93bb7f6688b6eab5d"     \
    "f48ac9fcb5aaf3b096b38b8b8e6e6c2d433dcb666a6257d9dc558e0616fefd000000000000000300f30b0006"     \
    "b000010001730000e72d311da9f71db1153cf305c0a984effeee962a21cf9c29448fef188bf080af3ee96e43"     \
    "60f08ea5cca54509fc19272612465a5b7db199aac6b3d3032a2a7218f11cc49b82ff48a283767b20aca7c001"     \
    "bbdab46e9d90af637c0d1f9379cf00b91fa28de8f24329a298d8c4c3721c8e98a2f461bf088eda67ed869ff2"     \
    "94809e076f59d5de888dad369e9a10589928cdf5c56b5fb0f48a65e3353c4b2eee9e33aa71492c7242f2162c"     \
    "14e9df75f3850203010001a38203733082036f301f0603551d230418301680148d8c5ec454ad8ae177e99bf9"     \
    "9b05e1b8018d61e1301d0603551d0e041604140b16fefd000000000000000400f30b0006b0000100025a0000"     \
    "e7b9a50e045f7f9dc99f843a486aec4a3188ce4d300e0603551d0f0101ff0404030205a0300c0603551d1301"     \
    "01ff04023000301d0603551d250416301406082b0601050507030106082b0601050507030230490603551d20"     \
    "044230403034060b2b06010401b231010202073025302306082b06010505070201161768747470733a2f2f73"     \
    "65637469676f2e636f6d2f4350533008060667810c01020130818406082b0601050507010104783076304f06"     \
    "082b060105050730028643687474703a2f2f6372742e7365637469676f2e636f6d2f5365637469676f525341"     \
    "446f6d61696e56616c69646116fefd000000000000000500f30b0006b000010003410000e774696f6e536563"     \
    "75726553657276657243412e637274302306082b060105050730018617687474703a2f2f6f6373702e736563"     \
    "7469676f2e636f6d30230603551d11041c301a820c2a2e646973636f72642e6767820a646973636f72642e67"     \
    "67308201f7060a2b06010401d679020402048201e7048201e301e100760046a555eb75fa912030b5a28969f4"     \
    "f37d112c4174befd49b885abf2fc70fe6d470000017119106cd0000004030047304502207ab714b20c75aa40"     \
    "13c2f7eb77742eab779a6106aa43a8194bfe56dd8a992192022100c5df5ffd1d88e3585b4a3f6a43855bc006"     \
    "7f6549e0"

/* corpus/ndpi/dtls_certificate_fragments.pcap frame 24: eight records: the rest of the server's
 * flight; UDP payload, 1215 bytes. */
#define FX_FRAG_FL8                                                                                \
    "16fefd000000000000000600f30b0006b000010004280000e7c87dbb33596e7b4c624b59007600dfa55eab68"     \
    "824f1f6cadeeb85f4e3e5aeacda212a46a5e8e3b12c020445c2a730000017119106c9b000004030047304502"     \
    "2029593059c5d2d3efd4ba220fae07cf7662a9a6b41995ed93a731ea1e6a52ba20022100f51055b24374569e"     \
    "23d955d2d01ccc1a2b6aa1cafc137cc7aabe006ba5a97a9800760041c8cab1df22464a10c6a13a0942875e4e"     \
    "318b1b03ebeb4bc768f090629606f60000017119106ceb000004030047304502202a4f31f663e5c521beb541"     \
    "92e30a44d4c6b407edb8e51d50add4531e163d943a022100dc8abe7accede3f0c6b3807c16fefd0000000000"     \
    "00000700f30b0006b0000100050f0000e74056b281b64118757bef146b0221eb3c7943f33b0077006f5376ac"     \
    "31f03119d89900a45115ff77151c11d902c10029068db2089a37d9130000017119106c730000040300483046"     \
    "022100b32eca599ff57e0d367777b678f45138a238aefba267bfb495a23ba27fc70edb022100f5b2438ac1a2"     \
    "7dc51349d29270e055a9b68c0216bf16d4793cb23898f2486c3d300d06092a864886f70d01010b0500038201"     \
    "010036aaa11f8f9c7c486ef3fb62ad27ce5f9b3e9b1f1ff9bb353ea072538276301fd61695ecb0b9a1e73f99"     \
    "17e5530b71d198ef5c6e9f70838f3587c6075b30f4c1c3dd6a5bcf9716fefd000000000000000800c60b0006"     \
    "b000010005f60000ba4132a4f9e751866e94eca2017a2ca121b5562d684cd218a5f3dfa6f1f3acf0ed8ccf36"     \
    "4caa6d9ccaa9986231b4e607b9fedcf021c47a349a37e5da88a4af4591c9881191298924bdfec09022d9916c"     \
    "b863711c28879e6e3bcea41c1da87018dca85285d5a43836f064440f1ab8fc47ac4920b56b7c10681443ca64"     \
    "6b5e82ee067fcd06040fb68ff9804bec467b509818357dcd89fdc0e0d33e13a7791b67b7ba5c87fde38806c7"     \
    "e44cf7a3bc504761bd2caa0a9e7bbfaaac1b2416fefd000000000000000900200c0001490002000000000014"     \
    "03001741040006cd49b9bf0b546d71f84913814716fefd000000000000000a00f30c00014900020000140000"     \
    "e7da3c2086f11100903963e2d4f64917c12476397c4a1668dea5078fce2237d1860ddf91104ee850b92ff750"     \
    "39f9891fc702040101006417dccea1669c04dcbc47991e31e66b836682416cfdea750e26b052b008a2f8f0ed"     \
    "b9b957d8b5cd979e503889a48ac0af1f77400b16ea4bdf7640bbe66faca0e86e0630ad94d532413e7e65e2fa"     \
    "cfec782e4e7dc003aab11aacf75e652b2bd342a7763fc9e5977d0bf3278a3093a46bef791a1a139167b26929"     \
    "a7d473e3555211696ad16b639eebeeb714e4f5d8f77aa23a02c007f8568e90b1173c4fcd56c4866dd930946b"     \
    "930ea3852b288e46288f29da16fefd000000000000000b005a0c00014900020000fb00004ea44e227afcf606"     \
    "6b41567fb72597c15a0fb2ab2fdad478056b996bacf4517d6ffa093d67b5c6f8f5976a4433a4699e2886fc09"     \
    "38a752b7b1a1f69fe4add25a6121baa2817764da09b7ba4f647fae16fefd000000000000000c00320d000026"     \
    "000300000000002603010240001e060106020603050105020503040104020403030103020303020102020203"     \
    "000016fefd000000000000000d000c0e0000000004000000000000"
/* corpus/ndpi/stun_zoom.pcapng frame 23: DTLS 1.2 ClientHello, one record; UDP payload, 189 bytes.
 */
#define FX_ZOOM_CH                                                                                 \
    "16feff000000000000000000b0010000a400000000000000a4fefd8c5ea109bd60671d3e4578d3008a8e049e"     \
    "a3838242f4229c1ec163f93efdc9d300000010c02bc02fcca9cca8c00ac009c013c0140100006a00170000ff"     \
    "01000100000a00080006001d00170018000b000201000010001200100677656272746308632d776562727463"     \
    "000d0020001e040305030603020308040805080604010501060102010402050206020202001c00024000000e"     \
    "000b0008000700080001000200"

/* corpus/ndpi/stun_zoom.pcapng frame 38: the same ClientHello resent in two fragments: bytes 0-138
 * of 164; UDP payload, 164 bytes. */
#define FX_ZOOM_CH_FRAG1                                                                           \
    "16feff00000000000000030097010000a4000000000000008bfefd8c5ea109bd60671d3e4578d3008a8e049e"     \
    "a3838242f4229c1ec163f93efdc9d300000010c02bc02fcca9cca8c00ac009c013c0140100006a00170000ff"     \
    "01000100000a00080006001d00170018000b000201000010001200100677656272746308632d776562727463"     \
    "000d0020001e0403050306030203080408050806040105010601020104020502"

/* corpus/ndpi/stun_zoom.pcapng frame 39: ... and bytes 139-163; UDP payload, 50 bytes. */
#define FX_ZOOM_CH_FRAG2                                                                           \
    "16feff00000000000000040025010000a4000000008b00001906020202001c00024000000e000b0008000700"     \
    "080001000200"

/* corpus/ndpi/stun.pcap frame 196: a garbled ClientHello (record length 78 with 176 bytes after the
 * header; tshark sees no DTLS); UDP payload, 189 bytes. */
#define FX_STUN_GARBLED                                                                            \
    "16feff0000000000000000004efeffffa400000000000000a4fefdfc338fd99f2c1b3e3219703866514ef733"     \
    "87a590ed0a4ae2ecf926fff707dd9300000010c02bc02fcca9cca8c00ac009c013c0140100006a00170000ff"     \
    "01000100000a00080006001d00170018000b000201000010001200100677656272746308632d776562727463"     \
    "000d0020001e040305030603020308040805080604010501060102010402050206020202001c00024000000e"     \
    "000b0008000700080001000200"
/* corpus/ndpi/dtls.pcap frame 6: a fatal unexpected_message alert; the UDP
 * payload inside GTP-U, 15 bytes. */
#define FX_DTLS_ALERT "15feff00000000000000020002020a"

/* Header sizes (RFC 6347 sections 4.1 and 4.2.2). */
enum { DTLS_REC_HDR = 13, DTLS_HS_HDR = 12 };

/* ---- a recording sink ----------------------------------------------------- */

enum { MAX_EVENTS = 64 };

struct recorder {
    int n_hs;
    int hs_dir[MAX_EVENTS];
    uint8_t hs_type[MAX_EVENTS];
    struct tu_bytes hs_body[MAX_EVENTS];
    int n_rec;
    uint8_t rec_type[MAX_EVENTS];
    uint16_t rec_version[MAX_EVENTS], rec_len[MAX_EVENTS];
    int n_alert;
    uint8_t alert_level, alert_desc;
};

static void on_handshake(void *ctx, int dir, uint8_t type, struct span body)
{
    struct recorder *r = ctx;
    assert_true(r->n_hs < MAX_EVENTS);
    r->hs_dir[r->n_hs] = dir;
    r->hs_type[r->n_hs] = type;
    r->hs_body[r->n_hs].n = body.n;
    r->hs_body[r->n_hs].p = malloc(body.n ? body.n : 1);
    assert_non_null(r->hs_body[r->n_hs].p);
    if (body.n)
        memcpy(r->hs_body[r->n_hs].p, body.p, body.n);
    r->n_hs++;
}

static void on_record(void *ctx, int dir, uint8_t type, uint16_t version, uint16_t len)
{
    struct recorder *r = ctx;
    (void)dir;
    if (r->n_rec < MAX_EVENTS) {
        r->rec_type[r->n_rec] = type;
        r->rec_version[r->n_rec] = version;
        r->rec_len[r->n_rec] = len;
    }
    r->n_rec++;
}

static void on_alert(void *ctx, int dir, uint8_t level, uint8_t desc)
{
    struct recorder *r = ctx;
    (void)dir;
    r->n_alert++;
    r->alert_level = level;
    r->alert_desc = desc;
}

/* DTLS has no SSLv2-format hello; the callback must never run. */
static void on_sslv2(void *ctx, int dir, struct span msg)
{
    (void)ctx;
    (void)dir;
    (void)msg;
    fail_msg("sslv2_hello called for DTLS");
}

static const struct tls_stream_sink sink = {on_handshake, on_sslv2, on_record, on_alert};

static void recorder_clear(struct recorder *r)
{
    for (int i = 0; i < r->n_hs; i++)
        tu_bytes_free(&r->hs_body[i]);
    memset(r, 0, sizeof(*r));
}

/* Feed bytes as one datagram, from an exactly-sized copy, so that a read
 * past the datagram or a pointer kept into it shows under ASan. */
static void feed_bytes(struct dtls_state *ds, struct recorder *r, int dir, const uint8_t *p,
                       size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n)
        memcpy(copy, p, n);
    dtls_datagram(ds, dir, span_make(copy, n), &sink, r);
    free(copy);
}

static void feed_hex(struct dtls_state *ds, struct recorder *r, int dir, const char *hex)
{
    struct tu_bytes b = tu_hex(hex);
    feed_bytes(ds, r, dir, b.p, b.n);
    tu_bytes_free(&b);
}

static int looks(const char *hex)
{
    struct tu_bytes b = tu_hex(hex);
    int v = dtls_looks_like_record(tu_span(&b));
    tu_bytes_free(&b);
    return v;
}

static void check_record(const struct recorder *r, int i, uint8_t type, uint16_t version,
                         uint16_t len)
{
    assert_true(i < r->n_rec && i < MAX_EVENTS);
    assert_int_equal(r->rec_type[i], type);
    assert_int_equal(r->rec_version[i], version);
    assert_int_equal(r->rec_len[i], len);
}

/* Hello i as a ClientHello/ServerHello, parsed as the callers will. */
static void client_hello(const struct recorder *r, int i, struct tls_client_hello *ch)
{
    assert_true(i < r->n_hs);
    assert_int_equal(r->hs_type[i], TLS_HS_CLIENT_HELLO);
    assert_int_equal(tls_parse_client_hello_dtls(tu_span(&r->hs_body[i]), ch), TLS_PARSE_OK);
    assert_int_equal(ch->dtls, 1);
}

static void server_hello(const struct recorder *r, int i, struct tls_server_hello *sh)
{
    assert_true(i < r->n_hs);
    assert_int_equal(r->hs_type[i], TLS_HS_SERVER_HELLO);
    assert_int_equal(tls_parse_server_hello(tu_span(&r->hs_body[i]), sh), TLS_PARSE_OK);
}

static void check_ja3(const struct tls_client_hello *ch, const char *want)
{
    char ja3[JA3_HEX_LEN + 1];
    assert_int_equal(fingerprint_ja3(ch, ja3), 1);
    assert_string_equal(ja3, want);
}

static void check_ja3s(const struct tls_server_hello *sh, const char *want)
{
    char ja3s[JA3_HEX_LEN + 1];
    assert_int_equal(fingerprint_ja3s(sh, ja3s), 1);
    assert_string_equal(ja3s, want);
}

/* HelloVerifyRequest body (RFC 6347 section 4.2.1): server_version, cookie. */
static void hello_verify_request(const struct recorder *r, int i, uint16_t *version,
                                 size_t *cookie_len)
{
    struct span body = tu_span(&r->hs_body[i]), cookie = {NULL, 0};
    assert_int_equal(r->hs_type[i], DTLS_HS_HELLO_VERIFY_REQUEST);
    assert_true(span_u16(&body, version));
    assert_true(span_vec8(&body, &cookie));
    assert_int_equal(body.n, 0);
    *cookie_len = cookie.n;
}

/* Big structs kept off the stack. */
static struct tls_client_hello ch, ch2;
static struct tls_server_hello sh;

/* ---- recognising DTLS ----------------------------------------------------- */

static void test_looks_like_record(void **state)
{
    (void)state;
    static const char *const real[] = {
        FX_DTLS10_CH, FX_DTLS13_CH1,       FX_DTLS13_HRR, FX_DTLS13_SH,  FX_DTLS2_HVR,
        FX_DTLS2_SH,  FX_DTLS2_CLIENT_CCS, FX_SIDCK_CH2,  FX_OLD_CH1,    FX_OLD_HVR,
        FX_OLD_SH,    FX_FRAG_SH6,         FX_FRAG_FL8,   FX_DTLS_ALERT,
    };
    for (size_t i = 0; i < sizeof(real) / sizeof(*real); i++)
        assert_int_equal(looks(real[i]), DTLS_LOOKS_RECORD);
    /* A STUN Binding Request (RFC 8489 section 5): type 0x0001, magic cookie. */
    assert_int_equal(looks("000100002112a442b7e7a701bc34d686fa87dfae"), DTLS_LOOKS_NOT);
    /* A TLS record header (version 3.x) is not DTLS. */
    assert_int_equal(looks("1603010005010000010300"), DTLS_LOOKS_NOT);
    /* RTP (RFC 3550: version 2 in the top bits). */
    assert_int_equal(looks("80e0000100000000deadbeef000000000000000000000000"), DTLS_LOOKS_NOT);
    /* A DTLS header whose length runs past the datagram. */
    assert_int_equal(looks("16fefd000000000000000000ff0100"), DTLS_LOOKS_NOT);
    /* Plaintext application data (epoch 0) is never sent. */
    assert_int_equal(looks("17fefd00000000000000000001aa"), DTLS_LOOKS_NOT);
    /* Content type 27 is past the registered DTLS types. */
    assert_int_equal(looks("1bfefd00010000000000000001aa"), DTLS_LOOKS_NOT);
    assert_int_equal(looks(""), DTLS_LOOKS_NOT);
    assert_int_equal(looks("16"), DTLS_LOOKS_NOT);
    /* RFC 9147 section 4 unified header, built by hand (no capture has
     * one): 0b00101110 = S (16-bit sequence), L (length), epoch bits 2;
     * sequence 0x0001, length 20, 20 bytes of ciphertext. */
    assert_int_equal(looks("2e00010014"
                           "0102030405060708090a0b0c0d0e0f1011121314"),
                     DTLS_LOOKS_UNIFIED);
    /* ... with a length past the datagram, or too short to encrypt. */
    assert_int_equal(looks("2e00010040"
                           "0102030405060708090a0b0c0d0e0f1011121314"),
                     DTLS_LOOKS_NOT);
    assert_int_equal(looks("2e00010004"
                           "01020304"),
                     DTLS_LOOKS_NOT);
}

/* ---- real handshakes ---------------------------------------------------- */

/* dtls.pcap flow 1: one ClientHello, sent twice (expected: the repeat in
 * frame 2 is the same handshake). */
static void test_client_hello_dtls12(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    assert_non_null(ds);
    feed_hex(ds, &r, 0, FX_DTLS10_CH);
    feed_hex(ds, &r, 0, FX_DTLS10_CH); /* frame 2 is byte for byte frame 1 */
    assert_int_equal(r.n_hs, 1);
    assert_int_equal(r.hs_dir[0], 0);
    assert_int_equal(r.n_rec, 2);
    check_record(&r, 0, TLS_CT_HANDSHAKE, DTLS_VERSION_1_0, 142);
    client_hello(&r, 0, &ch);
    /* expected/dtls.pcap.jsonl line 1: dtls 1.2, 12 suites, JA3. */
    assert_int_equal(ch.legacy_version, DTLS_VERSION_1_2);
    assert_int_equal(tls_client_max_version(&ch), DTLS_VERSION_1_2);
    assert_int_equal(ch.cookie_len, 0);
    assert_int_equal(ch.n_ciphers, 12);
    assert_int_equal(ch.ciphers[0], 0xc02b);  /* TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 */
    assert_int_equal(ch.ciphers[1], 0xc02f);  /* TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
    assert_int_equal(ch.ciphers[11], 0x000a); /* TLS_RSA_WITH_3DES_EDE_CBC_SHA */
    check_ja3(&ch, "bd743610892cec1efed851b2b5efd4f5");
    dtls_state_free(ds);
    recorder_clear(&r);
}

/* dtls.pcap frames 7-10: DTLS 1.3 with a HelloRetryRequest. */
static void test_dtls13_hrr(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    assert_non_null(ds);
    feed_hex(ds, &r, 0, FX_DTLS13_CH1);
    feed_hex(ds, &r, 1, FX_DTLS13_HRR);
    feed_hex(ds, &r, 0, FX_DTLS13_CH2);
    feed_hex(ds, &r, 1, FX_DTLS13_SH);
    assert_int_equal(r.n_hs, 4);
    assert_int_equal(r.n_rec, 4);
    check_record(&r, 3, TLS_CT_HANDSHAKE, DTLS_VERSION_1_2, 131);
    /* expected/dtls.pcap.jsonl line 4: client dtls 1.3, 27 suites, JA3 of
     * the first ClientHello; negotiated dtls 1.3, TLS_AES_128_GCM_SHA256. */
    client_hello(&r, 0, &ch);
    assert_int_equal(tls_client_max_version(&ch), DTLS_VERSION_1_3);
    assert_int_equal(ch.n_ciphers, 27);
    assert_int_equal(ch.ciphers[0], 0x1301);
    assert_int_equal(ch.ciphers[1], 0x1302);
    assert_int_equal(ch.ciphers[2], 0x1303);
    check_ja3(&ch, "320d2222212f652e923c3458b463c5b4");
    server_hello(&r, 1, &sh);
    assert_int_equal(sh.is_hrr, 1);
    assert_int_equal(r.hs_dir[1], 1);
    client_hello(&r, 2, &ch2);
    assert_memory_equal(ch2.random, ch.random, 32);
    server_hello(&r, 3, &sh);
    assert_int_equal(sh.is_hrr, 0);
    assert_int_equal(tls_server_version(&sh), DTLS_VERSION_1_3);
    assert_int_equal(sh.cipher, 0x1301);
    check_ja3s(&sh, "c2c89a8b10ca74ec5a350a59fb762fb6");
    dtls_state_free(ds);
    recorder_clear(&r);
}

/* dtls2.pcap frames 1-4: DTLS 1.0 with a HelloVerifyRequest; the server's
 * flight is three records in one datagram. */
static void test_dtls10_hello_verify(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    uint16_t hvr_version;
    size_t cookie_len;
    assert_non_null(ds);
    feed_hex(ds, &r, 0, FX_DTLS2_CH1);
    feed_hex(ds, &r, 1, FX_DTLS2_HVR);
    feed_hex(ds, &r, 0, FX_DTLS2_CH2);
    feed_hex(ds, &r, 1, FX_DTLS2_SH);
    assert_int_equal(r.n_hs, 4);
    assert_int_equal(r.n_rec, 6);
    check_record(&r, 3, TLS_CT_HANDSHAKE, DTLS_VERSION_1_0, 50);  /* ServerHello */
    check_record(&r, 4, TLS_CT_HANDSHAKE, DTLS_VERSION_1_0, 724); /* Certificate */
    check_record(&r, 5, TLS_CT_HANDSHAKE, DTLS_VERSION_1_0, 12);  /* ServerHelloDone */
    client_hello(&r, 0, &ch);
    assert_int_equal(ch.cookie_len, 0);
    hello_verify_request(&r, 1, &hvr_version, &cookie_len);
    assert_int_equal(hvr_version, DTLS_VERSION_1_0);
    assert_int_equal(cookie_len, 32);
    client_hello(&r, 2, &ch2);
    assert_int_equal(ch2.cookie_len, 32);
    assert_memory_equal(ch2.random, ch.random, 32);
    /* expected/dtls2.pcap.jsonl: client dtls 1.0, 8 suites; negotiated
     * dtls 1.0, TLS_RSA_WITH_AES_256_CBC_SHA. */
    assert_int_equal(tls_client_max_version(&ch), DTLS_VERSION_1_0);
    assert_int_equal(ch.n_ciphers, 8);
    assert_int_equal(ch.ciphers[0], 0x0035);
    assert_int_equal(ch.ciphers[1], 0x002f);
    check_ja3(&ch, "1b45c913a0c0fde5f263502e65999485");
    server_hello(&r, 3, &sh);
    assert_int_equal(tls_server_version(&sh), DTLS_VERSION_1_0);
    assert_int_equal(sh.cipher, 0x0035);
    check_ja3s(&sh, "749bd1edea60396ffaa65213b7971718");
    dtls_state_free(ds);
    recorder_clear(&r);
}

/* dtls2.pcap frame 6: ChangeCipherSpec then the encrypted Finished (epoch
 * 1): two records, no hello although the second is of type handshake. */
static void test_encrypted_epoch(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    uint64_t frags = dtls_stats.handshake_fragments;
    assert_non_null(ds);
    feed_hex(ds, &r, 0, FX_DTLS2_CLIENT_CCS);
    assert_int_equal(r.n_hs, 0);
    assert_int_equal(r.n_rec, 2);
    check_record(&r, 0, TLS_CT_CHANGE_CIPHER_SPEC, DTLS_VERSION_1_0, 1);
    check_record(&r, 1, TLS_CT_HANDSHAKE, DTLS_VERSION_1_0, 64);
    assert_int_equal(dtls_stats.handshake_fragments, frags);
    dtls_state_free(ds);
    recorder_clear(&r);
}

/* dtls_session_id_and_coockie_both.pcap frames 1-4. */
static void test_session_id_and_cookie(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    uint16_t hvr_version;
    size_t cookie_len;
    assert_non_null(ds);
    feed_hex(ds, &r, 0, FX_SIDCK_CH1);
    feed_hex(ds, &r, 1, FX_SIDCK_HVR);
    feed_hex(ds, &r, 0, FX_SIDCK_CH2);
    feed_hex(ds, &r, 1, FX_SIDCK_SH);
    assert_int_equal(r.n_hs, 4);
    /* The server's last datagram: ServerHello, ChangeCipherSpec, and the
     * encrypted Finished of epoch 1. */
    assert_int_equal(r.n_rec, 6);
    check_record(&r, 4, TLS_CT_CHANGE_CIPHER_SPEC, DTLS_VERSION_1_2, 1);
    assert_int_equal(r.rec_type[5], TLS_CT_HANDSHAKE);
    client_hello(&r, 0, &ch);
    assert_true(ch.session_id_len > 0);
    hello_verify_request(&r, 1, &hvr_version, &cookie_len);
    assert_int_equal(hvr_version, DTLS_VERSION_1_0); /* RFC 6347 4.2.1 allows 1.0 here */
    client_hello(&r, 2, &ch2);
    assert_true(ch2.session_id_len > 0);
    assert_int_equal(ch2.cookie_len, cookie_len);
    /* expected: client dtls 1.2 with one suite; negotiated dtls 1.2,
     * TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384. */
    assert_int_equal(tls_client_max_version(&ch), DTLS_VERSION_1_2);
    assert_int_equal(ch.n_ciphers, 1);
    assert_int_equal(ch.ciphers[0], 0xc02c);
    check_ja3(&ch, "e15c510766789ed8f49de0e37951c1da");
    server_hello(&r, 3, &sh);
    assert_int_equal(tls_server_version(&sh), DTLS_VERSION_1_2);
    assert_int_equal(sh.cipher, 0xc02c);
    check_ja3s(&sh, "a1d48eca741e476d8ee735578a26bdbd");
    dtls_state_free(ds);
    recorder_clear(&r);
}

/* dtls_old_version.pcapng: pre-RFC DTLS (0x0100). The client sent its
 * first ClientHello three times (frames 1, 2, 4) and the server its
 * HelloVerifyRequest twice (3, 5): each is reported once. */
static void test_old_version_and_retransmissions(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    uint16_t hvr_version;
    size_t cookie_len;
    assert_non_null(ds);
    assert_int_equal(looks(FX_OLD_CH1), DTLS_LOOKS_RECORD);
    feed_hex(ds, &r, 0, FX_OLD_CH1);
    feed_hex(ds, &r, 0, FX_OLD_CH1);
    feed_hex(ds, &r, 1, FX_OLD_HVR);
    feed_hex(ds, &r, 0, FX_OLD_CH1);
    feed_hex(ds, &r, 1, FX_OLD_HVR);
    feed_hex(ds, &r, 0, FX_OLD_CH2);
    feed_hex(ds, &r, 1, FX_OLD_SH);
    assert_int_equal(r.n_rec, 9);
    check_record(&r, 0, TLS_CT_HANDSHAKE, DTLS_VERSION_BAD, 86);
    assert_int_equal(r.n_hs, 4);
    client_hello(&r, 0, &ch);
    assert_int_equal(ch.legacy_version, DTLS_VERSION_BAD);
    assert_int_equal(ch.n_ciphers, 1);
    assert_int_equal(ch.ciphers[0], 0x0035);
    check_ja3(&ch, "be3660f0bdab46442f52b205919fee37");
    hello_verify_request(&r, 1, &hvr_version, &cookie_len);
    assert_int_equal(hvr_version, DTLS_VERSION_BAD);
    client_hello(&r, 2, &ch2);
    assert_int_equal(ch2.cookie_len, cookie_len);
    server_hello(&r, 3, &sh);
    assert_int_equal(sh.legacy_version, DTLS_VERSION_BAD);
    assert_int_equal(sh.cipher, 0x0035);
    check_ja3s(&sh, "8f48e117ae3543615168a2b087cda528");
    dtls_state_free(ds);
    recorder_clear(&r);
}

/* dtls_certificate_fragments.pcap frames 4, 5: the ServerHello, then a
 * Certificate fragmented over two datagrams, which is not buffered. */
static void test_certificate_fragments_not_buffered(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    uint64_t frags = dtls_stats.handshake_fragments, re = dtls_stats.reassembled;
    uint64_t ab = dtls_stats.abandoned;
    assert_non_null(ds);
    feed_hex(ds, &r, 1, FX_FRAG_SH);
    feed_hex(ds, &r, 1, FX_FRAG_CERT2);
    assert_int_equal(r.n_rec, 4);
    check_record(&r, 1, TLS_CT_HANDSHAKE, DTLS_VERSION_1_0, 1320); /* 1308 of 1547 */
    assert_int_equal(dtls_stats.handshake_fragments - frags, 4);
    assert_int_equal(dtls_stats.reassembled, re);
    assert_int_equal(r.n_hs, 1);
    /* expected: negotiated dtls 1.0, TLS_RSA_WITH_AES_256_CBC_SHA. */
    server_hello(&r, 0, &sh);
    assert_int_equal(tls_server_version(&sh), DTLS_VERSION_1_0);
    assert_int_equal(sh.cipher, 0x0035);
    check_ja3s(&sh, "d45798bc098cd930de7eb2f5f866e994");
    dtls_state_free(ds);
    assert_int_equal(dtls_stats.abandoned, ab); /* nothing was held */
    recorder_clear(&r);
}

/* dtls_certificate_fragments.pcap frames 21, 23, 24: the server's flight
 * is six and eight records per datagram. */
static void test_many_records_per_datagram(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    assert_non_null(ds);
    feed_hex(ds, &r, 0, FX_FRAG_CH);
    feed_hex(ds, &r, 1, FX_FRAG_SH6);
    feed_hex(ds, &r, 1, FX_FRAG_FL8);
    assert_int_equal(r.n_rec, 1 + 6 + 8);
    for (int i = 0; i < r.n_rec; i++) {
        assert_int_equal(r.rec_type[i], TLS_CT_HANDSHAKE);
        assert_int_equal(r.rec_version[i], i ? DTLS_VERSION_1_2 : DTLS_VERSION_1_0);
    }
    assert_int_equal(r.n_hs, 2);
    /* expected/dtls_certificate_fragments.pcap.jsonl line 2. */
    client_hello(&r, 0, &ch);
    assert_int_equal(tls_client_max_version(&ch), DTLS_VERSION_1_2);
    assert_int_equal(ch.n_ciphers, 12);
    check_ja3(&ch, "681eb4fb79ccb6d60d35fa502c279d42");
    server_hello(&r, 1, &sh);
    assert_int_equal(tls_server_version(&sh), DTLS_VERSION_1_2);
    assert_int_equal(sh.cipher, 0xc02f);
    check_ja3s(&sh, "201fdaa63db9a086f36651aa4cfd0819");
    dtls_state_free(ds);
    recorder_clear(&r);
}

/* dtls.pcap frame 6 (inside GTP-U): a plaintext fatal alert. */
static void test_alert(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    assert_non_null(ds);
    feed_hex(ds, &r, 0, FX_DTLS_ALERT);
    assert_int_equal(r.n_rec, 1);
    check_record(&r, 0, TLS_CT_ALERT, DTLS_VERSION_1_0, 2);
    assert_int_equal(r.n_alert, 1);
    assert_int_equal(r.alert_level, 2);
    assert_int_equal(r.alert_desc, 10); /* unexpected_message */
    assert_int_equal(r.n_hs, 0);
    dtls_state_free(ds);
    recorder_clear(&r);
}

/* RFC 9147 section 4: encrypted DTLS 1.3 records after the ServerHello,
 * in the unified header form. The ServerHello is real (dtls.pcap frame
 * 10); the unified records after it are built by hand. */
static void test_unified_header(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    assert_non_null(ds);
    feed_hex(ds, &r, 1,
             FX_DTLS13_SH
             /* 0b00101110: 16-bit sequence, length 20, epoch bits 2 */
             "2e00010014"
             "0102030405060708090a0b0c0d0e0f1011121314"
             /* 0b00100010: 8-bit sequence, no length: runs to the end */
             "2207"
             "0102030405060708090a0b0c0d0e0f10111213141516");
    assert_int_equal(r.n_hs, 1);
    assert_int_equal(r.n_rec, 3);
    check_record(&r, 0, TLS_CT_HANDSHAKE, DTLS_VERSION_1_2, 131);
    check_record(&r, 1, TLS_CT_APPLICATION_DATA, DTLS_VERSION_1_3, 20);
    check_record(&r, 2, TLS_CT_APPLICATION_DATA, DTLS_VERSION_1_3, 22);
    /* With a connection id (C bit) the header length is unknown: one
     * record for the rest of the datagram, nothing after it misread. */
    recorder_clear(&r);
    feed_hex(ds, &r, 1,
             "3e"
             "aabbccdd"
             "0001"
             "0014"
             "0102030405060708090a0b0c0d0e0f1011121314");
    assert_int_equal(r.n_rec, 1);
    assert_int_equal(r.rec_type[0], TLS_CT_APPLICATION_DATA);
    dtls_state_free(ds);
    recorder_clear(&r);
}

/* ---- fragments ------------------------------------------------------------ */

/* Write one epoch-0 handshake record (RFC 6347 4.1) holding one fragment
 * (4.2.2): body[off, off+len) of a message of total bytes. Returns its size. */
static size_t put_fragment(uint8_t *out, uint8_t type, uint16_t seq, const uint8_t *body,
                           uint32_t total, uint32_t off, uint32_t len)
{
    uint8_t *p = out;
    uint32_t rec = DTLS_HS_HDR + len;
    *p++ = TLS_CT_HANDSHAKE;
    *p++ = 0xfe;
    *p++ = 0xfd;
    memset(p, 0, 8); /* epoch 0, sequence number 0 */
    p += 8;
    *p++ = (uint8_t)(rec >> 8);
    *p++ = (uint8_t)rec;
    *p++ = type;
    *p++ = (uint8_t)(total >> 16);
    *p++ = (uint8_t)(total >> 8);
    *p++ = (uint8_t)total;
    *p++ = (uint8_t)(seq >> 8);
    *p++ = (uint8_t)seq;
    *p++ = (uint8_t)(off >> 16);
    *p++ = (uint8_t)(off >> 8);
    *p++ = (uint8_t)off;
    *p++ = (uint8_t)(len >> 16);
    *p++ = (uint8_t)(len >> 8);
    *p++ = (uint8_t)len;
    if (len)
        memcpy(p, body + off, len);
    return (size_t)(p - out) + len;
}

/* The ClientHello body of a one-record datagram. */
static struct tu_bytes hello_body_of(const char *hex)
{
    struct tu_bytes d = tu_hex(hex), b;
    assert_true(d.n > DTLS_REC_HDR + DTLS_HS_HDR);
    b.n = d.n - DTLS_REC_HDR - DTLS_HS_HDR;
    b.p = malloc(b.n);
    assert_non_null(b.p);
    memcpy(b.p, d.p + DTLS_REC_HDR + DTLS_HS_HDR, b.n);
    tu_bytes_free(&d);
    return b;
}

struct piece {
    uint32_t off, len;
};

/* Each piece in its own datagram, in the order given. */
static void feed_pieces(struct dtls_state *ds, struct recorder *r, const struct tu_bytes *body,
                        const struct piece *pc, size_t n)
{
    uint8_t dg[2048];
    for (size_t i = 0; i < n; i++) {
        assert_true(pc[i].len + DTLS_REC_HDR + DTLS_HS_HDR <= sizeof(dg));
        size_t k = put_fragment(dg, TLS_HS_CLIENT_HELLO, 0, body->p, (uint32_t)body->n, pc[i].off,
                                pc[i].len);
        feed_bytes(ds, r, 0, dg, k);
    }
}

/* The DTLS 1.3 ClientHello of dtls.pcap frame 7 (497 bytes) in pieces,
 * out of order, repeated, overlapping, several per datagram: exactly one
 * ClientHello, byte for byte the original. */
static void test_fragments_out_of_order_and_duplicated(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    struct tu_bytes body = hello_body_of(FX_DTLS13_CH1);
    uint64_t re = dtls_stats.reassembled;
    uint8_t dg[2048];
    size_t k;
    assert_non_null(ds);
    assert_int_equal(body.n, 497);
    static const struct piece first[] = {{400, 97}, {100, 150}, {100, 150}, {0, 100}, {50, 200}};
    feed_pieces(ds, &r, &body, first, sizeof(first) / sizeof(*first));
    assert_int_equal(r.n_hs, 0);
    /* The missing [250, 400) as two records in one datagram, the second
     * one first. */
    k = put_fragment(dg, TLS_HS_CLIENT_HELLO, 0, body.p, 497, 320, 80);
    k += put_fragment(dg + k, TLS_HS_CLIENT_HELLO, 0, body.p, 497, 250, 70);
    feed_bytes(ds, &r, 0, dg, k);
    assert_int_equal(r.n_hs, 1);
    assert_int_equal(r.hs_type[0], TLS_HS_CLIENT_HELLO);
    assert_int_equal(r.hs_body[0].n, body.n);
    assert_memory_equal(r.hs_body[0].p, body.p, body.n);
    assert_int_equal(dtls_stats.reassembled - re, 1);
    client_hello(&r, 0, &ch);
    check_ja3(&ch, "320d2222212f652e923c3458b463c5b4");
    /* The whole flight resent, cut differently, and the unfragmented
     * original: still one ClientHello. */
    static const struct piece again[] = {{0, 300}, {300, 197}};
    feed_pieces(ds, &r, &body, again, 2);
    feed_hex(ds, &r, 0, FX_DTLS13_CH1);
    assert_int_equal(r.n_hs, 1);
    /* Late duplicates of single pieces hold a buffer until the flow ends. */
    feed_pieces(ds, &r, &body, first, 1);
    assert_int_equal(r.n_hs, 1);
    dtls_state_free(ds);
    tu_bytes_free(&body);
    recorder_clear(&r);
}

/* Every piece in every order for a three-piece split: one ClientHello. */
static void test_fragments_every_order(void **state)
{
    (void)state;
    struct tu_bytes body = hello_body_of(FX_DTLS2_CH2);
    static const int order[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                    {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (uint32_t cut1 = 1; cut1 + 1 < body.n; cut1 += 7) {
        uint32_t cut2 = cut1 + (uint32_t)(body.n - cut1) / 2;
        struct piece p3[3] = {{0, cut1}, {cut1, cut2 - cut1}, {cut2, (uint32_t)body.n - cut2}};
        for (int o = 0; o < 6; o++) {
            struct recorder r = {0};
            struct dtls_state *ds = dtls_state_new();
            struct piece pc[4];
            assert_non_null(ds);
            for (int i = 0; i < 3; i++)
                pc[i] = p3[order[o][i]];
            pc[3] = pc[0]; /* and one duplicate */
            feed_pieces(ds, &r, &body, pc, 4);
            assert_int_equal(r.n_hs, 1);
            assert_memory_equal(r.hs_body[0].p, body.p, body.n);
            dtls_state_free(ds);
            recorder_clear(&r);
        }
    }
    tu_bytes_free(&body);
}

/* stun_zoom.pcapng frames 38, 39: a real ClientHello in two fragments over
 * two datagrams, a resend of the one-record ClientHello of frame 23. In
 * either order it is the same ClientHello, and after frame 23 it is
 * recognised as a resend. */
static void test_real_fragmented_client_hello(void **state)
{
    (void)state;
    struct tu_bytes whole = hello_body_of(FX_ZOOM_CH);
    static const char *const orders[2][2] = {{FX_ZOOM_CH_FRAG1, FX_ZOOM_CH_FRAG2},
                                             {FX_ZOOM_CH_FRAG2, FX_ZOOM_CH_FRAG1}};
    for (int o = 0; o < 2; o++) {
        struct recorder r = {0};
        struct dtls_state *ds = dtls_state_new();
        uint64_t re = dtls_stats.reassembled;
        assert_non_null(ds);
        feed_hex(ds, &r, 0, orders[o][0]);
        assert_int_equal(r.n_hs, 0);
        feed_hex(ds, &r, 0, orders[o][1]);
        assert_int_equal(r.n_hs, 1);
        assert_int_equal(dtls_stats.reassembled - re, 1);
        assert_int_equal(r.hs_body[0].n, 164);
        assert_memory_equal(r.hs_body[0].p, whole.p, whole.n);
        /* expected/stun_zoom.pcapng.jsonl line 2: dtls 1.2, 8 suites. */
        client_hello(&r, 0, &ch);
        assert_int_equal(tls_client_max_version(&ch), DTLS_VERSION_1_2);
        assert_int_equal(ch.n_ciphers, 8);
        assert_int_equal(ch.ciphers[0], 0xc02b);
        check_ja3(&ch, "3e12a43c7535bb32beac3928f8fe905d");
        dtls_state_free(ds);
        recorder_clear(&r);
    }
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    assert_non_null(ds);
    feed_hex(ds, &r, 0, FX_ZOOM_CH);
    feed_hex(ds, &r, 0, FX_ZOOM_CH_FRAG1);
    feed_hex(ds, &r, 0, FX_ZOOM_CH_FRAG2);
    assert_int_equal(r.n_hs, 1);
    assert_int_equal(r.n_rec, 3);
    dtls_state_free(ds);
    recorder_clear(&r);
    tu_bytes_free(&whole);
}

/* stun.pcap frame 196: a garbled datagram from a real client (its record
 * length says 78, and the handshake header inside is nonsense): the record
 * is seen, nothing else, and it is counted as bad. */
static void test_real_garbled_datagram(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    uint64_t bad = dtls_stats.bad_records, dropped = dtls_stats.dropped_fragments;
    assert_non_null(ds);
    feed_hex(ds, &r, 0, FX_STUN_GARBLED);
    assert_int_equal(r.n_hs, 0);
    assert_int_equal(r.n_rec, 1);
    check_record(&r, 0, TLS_CT_HANDSHAKE, DTLS_VERSION_1_0, 78);
    /* The garbled record, and the bytes after it that are no record. */
    assert_int_equal(dtls_stats.bad_records - bad, 2);
    assert_int_equal(dtls_stats.dropped_fragments, dropped); /* type 0xfe is no hello */
    dtls_state_free(ds);
    recorder_clear(&r);
}

/* A fragment that claims to run past its message is dropped and counted. */
static void test_fragment_beyond_length_dropped(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    struct tu_bytes body = hello_body_of(FX_DTLS2_CH2);
    uint8_t dg[512], big[200] = {0};
    uint64_t dropped = dtls_stats.dropped_fragments, ab = dtls_stats.abandoned;
    size_t k;
    assert_non_null(ds);
    /* offset 60 + 40 bytes > 88, the declared length: the record header
     * holds, so put_fragment is given a larger source to copy from. */
    memcpy(big, body.p, body.n);
    k = put_fragment(dg, TLS_HS_CLIENT_HELLO, 1, big, 88, 60, 40);
    feed_bytes(ds, &r, 0, dg, k);
    assert_int_equal(dtls_stats.dropped_fragments - dropped, 1);
    assert_int_equal(r.n_rec, 1); /* the record itself is still seen */
    /* ... and an offset past the end entirely. */
    k = put_fragment(dg, TLS_HS_CLIENT_HELLO, 1, big, 88, 0, 10);
    dg[DTLS_REC_HDR + 6] = 0x7f; /* fragment_offset 0x7f0000 */
    feed_bytes(ds, &r, 0, dg, k);
    assert_int_equal(dtls_stats.dropped_fragments - dropped, 2);
    /* A message longer than DTLS_MAX_MESSAGE is not gathered. */
    k = put_fragment(dg, TLS_HS_CLIENT_HELLO, 1, big, DTLS_MAX_MESSAGE + 1, 0, 100);
    feed_bytes(ds, &r, 0, dg, k);
    assert_int_equal(dtls_stats.dropped_fragments - dropped, 3);
    /* A fragment running past its record (cut by the snap length): the
     * record is bad, the hello piece dropped. */
    k = put_fragment(dg, TLS_HS_CLIENT_HELLO, 1, big, 88, 0, 40);
    uint64_t bad = dtls_stats.bad_records;
    feed_bytes(ds, &r, 0, dg, k - 10);
    assert_int_equal(dtls_stats.dropped_fragments - dropped, 4);
    assert_int_equal(dtls_stats.bad_records - bad, 1);
    /* None of it was held, and the real pieces still make the hello. */
    assert_int_equal(r.n_hs, 0);
    static const struct piece halves[] = {{44, 44}, {0, 44}};
    feed_pieces(ds, &r, &body, halves, 2);
    assert_int_equal(r.n_hs, 1);
    assert_memory_equal(r.hs_body[0].p, body.p, body.n);
    dtls_state_free(ds);
    assert_int_equal(dtls_stats.abandoned, ab);
    tu_bytes_free(&body);
    recorder_clear(&r);
}

/* Two different ClientHellos with the same type, sequence and length (a
 * client that restarted): their pieces must not be mixed. The second is
 * the first with one byte of its random changed. */
static void test_conflicting_fragments_restart(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    struct tu_bytes a = hello_body_of(FX_DTLS2_CH1), b = hello_body_of(FX_DTLS2_CH1);
    uint64_t ab = dtls_stats.abandoned;
    assert_non_null(ds);
    b.p[10] ^= 0xff; /* inside the random (bytes 2..33) */
    static const struct piece head[] = {{0, 20}};
    static const struct piece tail[] = {{5, 51}, {0, 5}};
    feed_pieces(ds, &r, &a, head, 1);
    feed_pieces(ds, &r, &b, tail, 2);
    assert_int_equal(dtls_stats.abandoned - ab, 1);
    assert_int_equal(r.n_hs, 1);
    assert_memory_equal(r.hs_body[0].p, b.p, b.n);
    dtls_state_free(ds);
    tu_bytes_free(&a);
    tu_bytes_free(&b);
    recorder_clear(&r);
}

/* An incomplete hello is given up, and its buffer freed, with the flow. */
static void test_incomplete_freed(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    struct tu_bytes body = hello_body_of(FX_DTLS13_CH1);
    uint64_t ab = dtls_stats.abandoned;
    assert_non_null(ds);
    static const struct piece some[] = {{0, 200}, {300, 100}};
    feed_pieces(ds, &r, &body, some, 2);
    assert_int_equal(r.n_hs, 0);
    dtls_state_free(ds);
    assert_int_equal(dtls_stats.abandoned - ab, 1);
    dtls_state_free(NULL);
    tu_bytes_free(&body);
    recorder_clear(&r);
}

/* The budget's cap is global: a test that changes it puts it back even
 * when it fails half-way. */
static uint64_t saved_cap;
static int save_budget(void **state)
{
    (void)state;
    saved_cap = tls_stream_budget.cap;
    return 0;
}
static int restore_budget(void **state)
{
    (void)state;
    tls_stream_budget.cap = saved_cap;
    return 0;
}

/* The reassembly buffer is taken from the global hello budget
 * (--max-reassembly-mb). Under a small cap a fragmented hello is refused:
 * counted once however many of its pieces come, nothing held, nothing
 * reported. With room, the buffer is held while the hello is incomplete and
 * given back when it completes, and when the flow ends with it incomplete. */
static void test_budget_refuses_fragment(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct dtls_state *ds = dtls_state_new();
    struct tu_bytes body = hello_body_of(FX_DTLS13_CH1);
    uint64_t held = tls_stream_budget.held;
    uint64_t refused = tls_stream_budget.refused, dropped = dtls_stats.dropped_fragments;
    assert_non_null(ds);
    assert_int_equal(held, 0);
    /* Room for less than the 497-byte body and its map. */
    tls_stream_budget.cap = 400;
    static const struct piece all[] = {{0, 200}, {200, 200}, {400, 97}};
    feed_pieces(ds, &r, &body, all, 3);
    assert_int_equal(r.n_hs, 0);
    assert_int_equal(tls_stream_budget.refused - refused, 1);
    assert_int_equal(dtls_stats.dropped_fragments - dropped, 3);
    assert_int_equal(tls_stream_budget.held, 0);

    /* With room: held while incomplete, given back on completion. */
    tls_stream_budget.cap = 1 << 20;
    feed_pieces(ds, &r, &body, all, 2);
    assert_int_equal(r.n_hs, 0);
    assert_true(tls_stream_budget.held >= body.n + body.n / 8);
    assert_true(tls_stream_budget.held < body.n + body.n / 8 + 64);
    feed_pieces(ds, &r, &body, all + 2, 1);
    assert_int_equal(r.n_hs, 1);
    assert_memory_equal(r.hs_body[0].p, body.p, body.n);
    assert_int_equal(tls_stream_budget.held, 0);
    assert_int_equal(tls_stream_budget.refused - refused, 1);

    /* An incomplete hello given up with the flow gives its bytes back. */
    struct dtls_state *ds2 = dtls_state_new();
    assert_non_null(ds2);
    feed_pieces(ds2, &r, &body, all + 1, 1);
    assert_true(tls_stream_budget.held > 0);
    dtls_state_free(ds2);
    assert_int_equal(tls_stream_budget.held, 0);

    /* A cap that fits exactly one buffer: the other direction is refused. */
    feed_pieces(ds, &r, &body, all, 1); /* a late duplicate: held again */
    uint64_t one = tls_stream_budget.held;
    tls_stream_budget.cap = one;
    uint8_t dg[2048];
    size_t k = put_fragment(dg, TLS_HS_CLIENT_HELLO, 0, body.p, (uint32_t)body.n, 0, 100);
    feed_bytes(ds, &r, 1, dg, k);
    assert_int_equal(tls_stream_budget.held, one);
    assert_int_equal(tls_stream_budget.refused - refused, 2);
    dtls_state_free(ds);
    assert_int_equal(tls_stream_budget.held, 0);
    tu_bytes_free(&body);
    recorder_clear(&r);
}

/* Without per-flow state, whole hellos are still reported; pieces are not. */
static void test_stateless(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct tu_bytes body = hello_body_of(FX_DTLS2_CH2);
    feed_hex(NULL, &r, 1, FX_DTLS2_SH);
    assert_int_equal(r.n_hs, 1);
    assert_int_equal(r.hs_type[0], TLS_HS_SERVER_HELLO);
    static const struct piece halves[] = {{0, 44}, {44, 44}};
    feed_pieces(NULL, &r, &body, halves, 2);
    assert_int_equal(r.n_hs, 1);
    /* And a NULL sink is allowed. */
    struct tu_bytes d = tu_hex(FX_DTLS2_SH);
    dtls_datagram(NULL, 0, tu_span(&d), NULL, NULL);
    tu_bytes_free(&d);
    tu_bytes_free(&body);
    recorder_clear(&r);
}

/* ---- garbage ---------------------------------------------------------------- */

static const char *const all_fixtures[] = {
    FX_DTLS10_CH,     FX_DTLS13_CH1,    FX_DTLS13_HRR,   FX_DTLS13_CH2, FX_DTLS13_SH,
    FX_DTLS2_CH1,     FX_DTLS2_HVR,     FX_DTLS2_CH2,    FX_DTLS2_SH,   FX_DTLS2_CLIENT_CCS,
    FX_SIDCK_CH1,     FX_SIDCK_HVR,     FX_SIDCK_CH2,    FX_SIDCK_SH,   FX_OLD_CH1,
    FX_OLD_HVR,       FX_OLD_CH2,       FX_OLD_SH,       FX_FRAG_SH,    FX_FRAG_CERT2,
    FX_FRAG_CH,       FX_FRAG_SH6,      FX_FRAG_FL8,     FX_DTLS_ALERT, FX_ZOOM_CH,
    FX_ZOOM_CH_FRAG1, FX_ZOOM_CH_FRAG2, FX_STUN_GARBLED,
};
enum { N_FIXTURES = sizeof(all_fixtures) / sizeof(*all_fixtures) };

/* Every prefix of every real datagram (what a short snap length leaves):
 * no crash, no read past the end (ASan), no hello from a cut record. */
static void test_every_prefix(void **state)
{
    (void)state;
    for (size_t f = 0; f < N_FIXTURES; f++) {
        struct tu_bytes d = tu_hex(all_fixtures[f]);
        struct dtls_state *ds = dtls_state_new();
        assert_non_null(ds);
        for (size_t n = 0; n < d.n; n++) {
            struct recorder r = {0};
            uint8_t *copy = malloc(n ? n : 1);
            assert_non_null(copy);
            memcpy(copy, d.p, n);
            (void)dtls_looks_like_record(span_make(copy, n));
            dtls_datagram(ds, (int)(n & 1), span_make(copy, n), &sink, &r);
            for (int i = 0; i < r.n_hs; i++) /* only hellos whole in the prefix */
                assert_true(r.hs_body[i].n + DTLS_REC_HDR + DTLS_HS_HDR <= n);
            free(copy);
            recorder_clear(&r);
        }
        dtls_state_free(ds);
        tu_bytes_free(&d);
    }
}

/* Real datagrams with a few bytes changed at random (fixed seed), fed
 * through one flow's state: no crash, bounded work. */
static void test_mutations(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    struct dtls_state *ds = dtls_state_new();
    assert_non_null(ds);
    for (int round = 0; round < 4000; round++) {
        struct tu_bytes d = tu_hex(all_fixtures[round % N_FIXTURES]);
        struct recorder r = {0};
        for (int m = 0; m < 1 + round % 4; m++) {
            x ^= x << 13; /* xorshift64 */
            x ^= x >> 7;
            x ^= x << 17;
            /* Bias towards the headers, where the lengths are. */
            size_t at = (size_t)(x % (round & 1 ? d.n : (d.n < 40 ? d.n : 40)));
            d.p[at] ^= (uint8_t)(x >> 32 | 1);
        }
        feed_bytes(ds, &r, round & 1, d.p, d.n);
        (void)dtls_looks_like_record(tu_span(&d));
        recorder_clear(&r);
        tu_bytes_free(&d);
    }
    dtls_state_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_looks_like_record),
        cmocka_unit_test(test_client_hello_dtls12),
        cmocka_unit_test(test_dtls13_hrr),
        cmocka_unit_test(test_dtls10_hello_verify),
        cmocka_unit_test(test_encrypted_epoch),
        cmocka_unit_test(test_session_id_and_cookie),
        cmocka_unit_test(test_old_version_and_retransmissions),
        cmocka_unit_test(test_certificate_fragments_not_buffered),
        cmocka_unit_test(test_many_records_per_datagram),
        cmocka_unit_test(test_alert),
        cmocka_unit_test(test_unified_header),
        cmocka_unit_test(test_fragments_out_of_order_and_duplicated),
        cmocka_unit_test(test_fragments_every_order),
        cmocka_unit_test(test_real_fragmented_client_hello),
        cmocka_unit_test(test_real_garbled_datagram),
        cmocka_unit_test(test_fragment_beyond_length_dropped),
        cmocka_unit_test(test_conflicting_fragments_restart),
        cmocka_unit_test(test_incomplete_freed),
        cmocka_unit_test_setup_teardown(test_budget_refuses_fragment, save_budget, restore_budget),
        cmocka_unit_test(test_stateless),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
