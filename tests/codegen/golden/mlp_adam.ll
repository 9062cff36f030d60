; ModuleID = "tenkai"
target triple = "x86_64-unknown-linux-gnu"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define void @g0(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4) noinline nounwind
{
v5:
  br label %v6
v7:
  %v8 = getelementptr inbounds float, ptr %v0, i64 0
  %v9 = getelementptr inbounds float, ptr %v1, i64 0
  %v10 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 64, i64 128, i64 784, ptr %v8, i64 784, i64 1, ptr %v9, i64 1, i64 784, ptr %v10, i64 128, i32 0)
  br label %v11
v12:
  %v13 = phi  i64 [0, %v6], [%v14, %v15]
  br label %v16
v17:
  ret void
v18:
  %v19 = phi  i64 [0, %v11], [%v20, %v16]
  %v21 = mul i64 %v13, 128
  %v22 = add i64 %v21, %v19
  %v23 = getelementptr inbounds float, ptr %v2, i64 %v22
  %v24 = load float, ptr %v23, align 4
  %v25 = getelementptr inbounds float, ptr %v3, i64 %v19
  %v26 = load float, ptr %v25, align 4
  %v27 = fadd float %v24, %v26
  %v28 = fcmp ogt float %v27,              0x0
  %v29 = fcmp uno float %v27, %v27
  %v30 = or i1 %v28, %v29
  %v31 = select  i1 %v30, float %v27, float              0x0
  %v32 = fcmp ogt float %v31,              0x0
  %v33 = mul i64 %v13, 128
  %v34 = add i64 %v33, %v19
  %v35 = getelementptr inbounds float, ptr %v2, i64 %v34
  store float %v31, ptr %v35, align 4
  %v36 = zext i1 %v32 to i8
  %v37 = mul i64 %v13, 128
  %v38 = add i64 %v37, %v19
  %v39 = getelementptr inbounds i8, ptr %v4, i64 %v38
  store i8 %v36, ptr %v39, align 1
  %v20 = add nuw nsw i64 %v19, 1
  %v40 = icmp slt i64 %v20, 128
  br i1 %v40, label %v16, label %v15, !llvm.loop !1
v41:
  %v14 = add nuw nsw i64 %v13, 1
  %v42 = icmp slt i64 %v14, 64
  br i1 %v42, label %v11, label %v43, !llvm.loop !1
}

declare void @g1(i64 %v44, i64 %v45, i64 %v46, ptr %v47, i64 %v48, i64 %v49, ptr %v8, i64 %v9, i64 %v10, ptr %v50, i64 %v51, i32 %v52)

define void @g2(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4) noinline nounwind
{
v5:
  br label %v6
v7:
  %v8 = getelementptr inbounds float, ptr %v0, i64 0
  %v9 = getelementptr inbounds float, ptr %v1, i64 0
  %v10 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 64, i64 64, i64 128, ptr %v8, i64 128, i64 1, ptr %v9, i64 1, i64 128, ptr %v10, i64 64, i32 0)
  br label %v11
v12:
  %v13 = phi  i64 [0, %v6], [%v14, %v15]
  br label %v16
v17:
  ret void
v18:
  %v19 = phi  i64 [0, %v11], [%v20, %v16]
  %v21 = mul i64 %v13, 64
  %v22 = add i64 %v21, %v19
  %v23 = getelementptr inbounds float, ptr %v2, i64 %v22
  %v24 = load float, ptr %v23, align 4
  %v25 = getelementptr inbounds float, ptr %v3, i64 %v19
  %v26 = load float, ptr %v25, align 4
  %v27 = fadd float %v24, %v26
  %v28 = fcmp ogt float %v27,              0x0
  %v29 = fcmp uno float %v27, %v27
  %v30 = or i1 %v28, %v29
  %v31 = select  i1 %v30, float %v27, float              0x0
  %v32 = fcmp ogt float %v31,              0x0
  %v33 = mul i64 %v13, 64
  %v34 = add i64 %v33, %v19
  %v35 = getelementptr inbounds float, ptr %v2, i64 %v34
  store float %v31, ptr %v35, align 4
  %v36 = zext i1 %v32 to i8
  %v37 = mul i64 %v13, 64
  %v38 = add i64 %v37, %v19
  %v39 = getelementptr inbounds i8, ptr %v4, i64 %v38
  store i8 %v36, ptr %v39, align 1
  %v20 = add nuw nsw i64 %v19, 1
  %v40 = icmp slt i64 %v20, 64
  br i1 %v40, label %v16, label %v15
v41:
  %v14 = add nuw nsw i64 %v13, 1
  %v42 = icmp slt i64 %v14, 64
  br i1 %v42, label %v11, label %v43, !llvm.loop !1
}

define void @g3(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  br label %v5
v6:
  %v7 = getelementptr inbounds float, ptr %v0, i64 0
  %v8 = getelementptr inbounds float, ptr %v1, i64 0
  %v9 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 64, i64 10, i64 64, ptr %v7, i64 64, i64 1, ptr %v8, i64 1, i64 64, ptr %v9, i64 10, i32 0)
  br label %v10
v11:
  %v12 = phi  i64 [0, %v5], [%v13, %v14]
  br label %v15
v16:
  ret void
v17:
  %v18 = phi  i64 [0, %v10], [%v19, %v15]
  %v20 = mul i64 %v12, 10
  %v21 = add i64 %v20, %v18
  %v22 = getelementptr inbounds float, ptr %v2, i64 %v21
  %v23 = load float, ptr %v22, align 4
  %v24 = getelementptr inbounds float, ptr %v3, i64 %v18
  %v25 = load float, ptr %v24, align 4
  %v26 = fadd float %v23, %v25
  %v27 = mul i64 %v12, 10
  %v28 = add i64 %v27, %v18
  %v29 = getelementptr inbounds float, ptr %v2, i64 %v28
  store float %v26, ptr %v29, align 4
  %v19 = add nuw nsw i64 %v18, 1
  %v30 = icmp slt i64 %v19, 10
  br i1 %v30, label %v15, label %v14
v31:
  %v13 = add nuw nsw i64 %v12, 1
  %v32 = icmp slt i64 %v13, 64
  br i1 %v32, label %v10, label %v33, !llvm.loop !1
}

define void @g4(ptr noalias %v0, ptr noalias %v1) noinline nounwind
{
v2:
  %v3 = alloca float
  br label %v4
v5:
  br label %v6
v7:
  %v8 = phi  i64 [0, %v4], [%v9, %v10]
  store float 0xfff0000000000000, float* %v3
  br label %v11
v12:
  ret void
v13:
  %v14 = phi  i64 [0, %v6], [%v15, %v11]
  %v16 = mul i64 %v8, 10
  %v17 = add i64 %v16, %v14
  %v18 = getelementptr inbounds float, ptr %v0, i64 %v17
  %v19 = load float, ptr %v18, align 4
  %v20 = load float, float* %v3
  %v21 = call float @g5(float %v20, float %v19)
  store float %v21, float* %v3
  %v15 = add nuw nsw i64 %v14, 1
  %v22 = icmp slt i64 %v15, 10
  br i1 %v22, label %v11, label %v10
v23:
  %v24 = load float, float* %v3
  %v25 = getelementptr inbounds float, ptr %v1, i64 %v8
  store float %v24, ptr %v25, align 4
  %v9 = add nuw nsw i64 %v8, 1
  %v26 = icmp slt i64 %v9, 64
  br i1 %v26, label %v6, label %v27, !llvm.loop !1
}

declare float @g5(float %v28, float %v29)

define void @g6(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5) noinline nounwind
{
v6:
  %v7 = alloca float
  br label %v8
v9:
  br label %v10
v11:
  %v12 = phi  i64 [0, %v8], [%v13, %v14]
  store float              0x0, float* %v7
  br label %v15
v16:
  br label %v17
v18:
  %v19 = phi  i64 [0, %v10], [%v20, %v15]
  %v21 = mul i64 %v12, 10
  %v22 = add i64 %v21, %v19
  %v23 = getelementptr inbounds float, ptr %v0, i64 %v22
  %v24 = load float, ptr %v23, align 4
  %v25 = getelementptr inbounds float, ptr %v1, i64 %v12
  %v26 = load float, ptr %v25, align 4
  %v27 = fsub float %v24, %v26
  %v28 = fcmp olt float %v27, 0xc05a000000000000
  %v29 = select  i1 %v28, float 0xc05a000000000000, float %v27
  %v30 = fcmp ogt float %v29, 0x4056400000000000
  %v31 = select  i1 %v30, float 0x4056400000000000, float %v29
  %v32 = fmul float %v31, 0x3ff7154760000000
  %v33 = call float @g7(float %v32)
  %v34 = fneg float %v33
  %v35 = call float @g8(float %v34, float 0x3fe62e4000000000, float %v31)
  %v36 = fneg float %v33
  %v37 = call float @g8(float %v36, float 0x3eb7f7d1c0000000, float %v35)
  %v38 = call float @g8(float 0x3f2a01a020000000, float %v37, float 0x3f56c16c20000000)
  %v39 = call float @g8(float %v38, float %v37, float 0x3f81111120000000)
  %v40 = call float @g8(float %v39, float %v37, float 0x3fa5555560000000)
  %v41 = call float @g8(float %v40, float %v37, float 0x3fc5555560000000)
  %v42 = call float @g8(float %v41, float %v37, float 0x3fe0000000000000)
  %v43 = fmul float %v37, %v37
  %v44 = call float @g8(float %v43, float %v42, float %v37)
  %v45 = fptosi float %v33 to i32
  %v46 = fadd float %v44, 0x3ff0000000000000
  %v47 = ashr i32 %v45, 1
  %v48 = add i32 %v47, 127
  %v49 = shl i32 %v48, 23
  %v50 = bitcast i32 %v49 to float
  %v51 = fmul float %v46, %v50
  %v52 = sub i32 %v45, %v47
  %v53 = add i32 %v52, 127
  %v54 = shl i32 %v53, 23
  %v55 = bitcast i32 %v54 to float
  %v56 = fmul float %v51, %v55
  %v57 = fcmp uno float %v27, %v27
  %v58 = select  i1 %v57, float %v27, float %v56
  %v59 = mul i64 %v12, 10
  %v60 = add i64 %v59, %v19
  %v61 = getelementptr inbounds float, ptr %v2, i64 %v60
  store float %v27, ptr %v61, align 4
  %v62 = mul i64 %v12, 10
  %v63 = add i64 %v62, %v19
  %v64 = getelementptr inbounds float, ptr %v3, i64 %v63
  store float %v58, ptr %v64, align 4
  %v65 = load float, float* %v7
  %v66 = fadd reassoc float %v65, %v58
  store float %v66, float* %v7
  %v20 = add nuw nsw i64 %v19, 1
  %v67 = icmp slt i64 %v20, 10
  br i1 %v67, label %v15, label %v14
v68:
  %v69 = load float, float* %v7
  %v70 = getelementptr inbounds float, ptr %v4, i64 %v12
  store float %v69, ptr %v70, align 4
  %v13 = add nuw nsw i64 %v12, 1
  %v71 = icmp slt i64 %v13, 64
  br i1 %v71, label %v10, label %v72, !llvm.loop !1
v73:
  %v74 = phi  i64 [0, %v72], [%v75, %v17]
  %v76 = getelementptr inbounds float, ptr %v4, i64 %v74
  %v77 = load float, ptr %v76, align 4
  %v78 = fcmp olt float %v77, 0x3810000000000000
  %v79 = fmul float %v77, 0x4160000000000000
  %v80 = select  i1 %v78, float %v79, float %v77
  %v81 = bitcast float %v80 to i32
  %v82 = lshr i32 %v81, 23
  %v83 = sub i32 %v82, 127
  %v84 = select  i1 %v78, i32 23, i32 0
  %v85 = sub i32 %v83, %v84
  %v86 = and i32 %v81, 8388607
  %v87 = or i32 %v86, 1065353216
  %v88 = bitcast i32 %v87 to float
  %v89 = fcmp ogt float %v88, 0x3ff6a09e60000000
  %v90 = fmul float %v88, 0x3fe0000000000000
  %v91 = select  i1 %v89, float %v90, float %v88
  %v92 = zext i1 %v89 to i32
  %v93 = add i32 %v85, %v92
  %v94 = fsub float %v91, 0x3ff0000000000000
  %v95 = fmul float %v94, %v94
  %v96 = fmul float %v95, 0x3fe0000000000000
  %v97 = fadd float %v94, 0x4000000000000000
  %v98 = fdiv float %v94, %v97
  %v99 = fmul float %v98, %v98
  %v100 = call float @g8(float 0x3fc745d180000000, float %v99, float 0x3fcc71c720000000)
  %v101 = call float @g8(float %v100, float %v99, float 0x3fd24924a0000000)
  %v102 = call float @g8(float %v101, float %v99, float 0x3fd99999a0000000)
  %v103 = call float @g8(float %v102, float %v99, float 0x3fe5555560000000)
  %v104 = fmul float %v103, %v99
  %v105 = sitofp i32 %v93 to float
  %v106 = fadd float %v96, %v104
  %v107 = fmul float %v105, 0x3eb7f7d1c0000000
  %v108 = call float @g8(float %v98, float %v106, float %v107)
  %v109 = fsub float %v96, %v108
  %v110 = fsub float %v94, %v109
  %v111 = call float @g8(float %v105, float 0x3fe62e4000000000, float %v110)
  %v112 = fcmp oeq float %v77, 0x7ff0000000000000
  %v113 = select  i1 %v112, float %v77, float %v111
  %v114 = fcmp oeq float %v77,              0x0
  %v115 = select  i1 %v114, float 0xfff0000000000000, float %v113
  %v116 = fcmp ult float %v77,              0x0
  %v117 = select  i1 %v116, float 0x7ff8000000000000, float %v115
  %v118 = getelementptr inbounds float, ptr %v5, i64 %v74
  store float %v117, ptr %v118, align 4
  %v75 = add nuw nsw i64 %v74, 1
  %v119 = icmp slt i64 %v75, 64
  br i1 %v119, label %v17, label %v120
v121:
  ret void
}

declare float @g7(float %v122)

declare float @g8(float %v122, float %v123, float %v124)

define void @g9(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2) noinline nounwind
{
v3:
  br label %v4
v5:
  br label %v6
v7:
  %v8 = phi  i64 [0, %v4], [%v9, %v10]
  br label %v11
v12:
  ret void
v13:
  %v14 = phi  i64 [0, %v6], [%v15, %v11]
  %v16 = mul i64 %v8, 10
  %v17 = add i64 %v16, %v14
  %v18 = getelementptr inbounds float, ptr %v0, i64 %v17
  %v19 = load float, ptr %v18, align 4
  %v20 = getelementptr inbounds float, ptr %v1, i64 %v8
  %v21 = load float, ptr %v20, align 4
  %v22 = fsub float %v19, %v21
  %v23 = mul i64 %v8, 10
  %v24 = add i64 %v23, %v14
  %v25 = getelementptr inbounds float, ptr %v2, i64 %v24
  store float %v22, ptr %v25, align 4
  %v15 = add nuw nsw i64 %v14, 1
  %v26 = icmp slt i64 %v15, 10
  br i1 %v26, label %v11, label %v10
v27:
  %v9 = add nuw nsw i64 %v8, 1
  %v28 = icmp slt i64 %v9, 64
  br i1 %v28, label %v6, label %v29, !llvm.loop !1
}

define void @g10(ptr noalias %v0, ptr noalias %v1) noinline nounwind
{
v2:
  br label %v3
v4:
  br label %v5
v6:
  %v7 = phi  i64 [0, %v3], [%v8, %v5]
  %v9 = getelementptr inbounds i64, ptr %v0, i64 %v7
  %v10 = load i64, ptr %v9, align 8
  %v11 = icmp eq i64 %v10, -100
  %v12 = getelementptr inbounds i64, ptr %v0, i64 %v7
  %v13 = load i64, ptr %v12, align 8
  %v14 = select  i1 %v11, i64 0, i64 %v13
  %v15 = getelementptr inbounds i64, ptr %v1, i64 %v7
  store i64 %v14, ptr %v15, align 8
  %v8 = add nuw nsw i64 %v7, 1
  %v16 = icmp slt i64 %v8, 64
  br i1 %v16, label %v5, label %v17
v18:
  ret void
}

define void @g11(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  br label %v5
v6:
  br label %v7
v8:
  %v9 = phi  i64 [0, %v5], [%v10, %v11]
  %v12 = getelementptr inbounds i64, ptr %v0, i64 %v9
  %v13 = load i64, ptr %v12, align 8
  %v14 = icmp sge i64 %v13, 0
  %v15 = icmp slt i64 %v13, 10
  %v16 = and i1 %v14, %v15
  br i1 %v16, label %v11, label %v17
v18:
  ret void
v19:
  %v20 = getelementptr inbounds i64, ptr %v1, i64 0
  store i64 1, ptr %v20
  %v21 = getelementptr inbounds i64, ptr %v0, i64 %v9
  %v22 = load i64, ptr %v21, align 8
  %v23 = getelementptr inbounds i64, ptr %v1, i64 1
  store i64 %v22, ptr %v23
  br label %v11
v24:
  %v25 = icmp sgt i64 %v13, 0
  %v26 = select  i1 %v25, i64 %v13, i64 0
  %v27 = icmp slt i64 %v26, 9
  %v28 = select  i1 %v27, i64 %v26, i64 9
  %v29 = mul i64 %v9, 10
  %v30 = add i64 %v29, %v28
  %v31 = getelementptr inbounds float, ptr %v2, i64 %v30
  %v32 = load float, ptr %v31, align 4
  %v33 = getelementptr inbounds float, ptr %v3, i64 %v9
  store float %v32, ptr %v33, align 4
  %v10 = add nuw nsw i64 %v9, 1
  %v34 = icmp slt i64 %v10, 64
  br i1 %v34, label %v7, label %v35
}

define void @g12(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, ptr noalias %v6, ptr noalias %v7, ptr noalias %v8, ptr noalias %v9, ptr noalias %v10, ptr noalias %v11, ptr noalias %v12, ptr noalias %v13, ptr noalias %v14, ptr noalias %v15, ptr noalias %v16, ptr noalias %v17, ptr noalias %v18, ptr noalias %v19, ptr noalias %v20, ptr noalias %v21, ptr noalias %v22, ptr noalias %v23, ptr noalias %v24, ptr noalias %v25, ptr noalias %v26, ptr noalias %v27, ptr noalias %v28, ptr noalias %v29, ptr noalias %v30) noinline nounwind
{
v31:
  %v32 = alloca float
  %v33 = alloca float
  br label %v34
v35:
  store float              0x0, float* %v32
  br label %v36
v37:
  %v38 = phi  i64 [0, %v34], [%v39, %v36]
  %v40 = getelementptr inbounds float, ptr %v0, i64 %v38
  %v41 = load float, ptr %v40, align 4
  %v42 = fneg float %v41
  %v43 = getelementptr inbounds i64, ptr %v1, i64 %v38
  %v44 = load i64, ptr %v43, align 8
  %v45 = icmp ne i64 %v44, -100
  %v46 = uitofp i1 %v45 to float
  %v47 = fmul float %v42, %v46
  %v48 = getelementptr inbounds float, ptr %v2, i64 %v38
  store float %v46, ptr %v48, align 4
  %v49 = load float, float* %v32
  %v50 = fadd reassoc float %v49, %v47
  store float %v50, float* %v32
  %v39 = add nuw nsw i64 %v38, 1
  %v51 = icmp slt i64 %v39, 64
  br i1 %v51, label %v36, label %v52
v53:
  %v54 = load float, float* %v32
  %v55 = getelementptr inbounds float, ptr %v3, i64 0
  store float %v54, ptr %v55, align 4
  store float              0x0, float* %v33
  br label %v56
v57:
  %v58 = phi  i64 [0, %v52], [%v59, %v56]
  %v60 = getelementptr inbounds float, ptr %v2, i64 %v58
  %v61 = load float, ptr %v60, align 4
  %v62 = load float, float* %v33
  %v63 = fadd reassoc float %v62, %v61
  store float %v63, float* %v33
  %v59 = add nuw nsw i64 %v58, 1
  %v64 = icmp slt i64 %v59, 64
  br i1 %v64, label %v56, label %v65
v66:
  %v67 = load float, float* %v33
  %v68 = getelementptr inbounds float, ptr %v4, i64 0
  store float %v67, ptr %v68, align 4
  %v69 = getelementptr inbounds float, ptr %v3, i64 0
  %v70 = load float, ptr %v69, align 4
  %v71 = getelementptr inbounds float, ptr %v4, i64 0
  %v72 = load float, ptr %v71, align 4
  %v73 = fdiv float %v70, %v72
  %v74 = getelementptr inbounds float, ptr %v5, i64 0
  store float %v73, ptr %v74, align 4
  %v75 = getelementptr inbounds float, ptr %v4, i64 0
  %v76 = load float, ptr %v75, align 4
  %v77 = fdiv float 0x3ff0000000000000, %v76
  %v78 = getelementptr inbounds float, ptr %v6, i64 0
  store float %v77, ptr %v78, align 4
  %v79 = getelementptr inbounds float, ptr %v7, i64 0
  %v80 = load float, ptr %v79, align 4
  %v81 = fadd float %v80, 0x3ff0000000000000
  %v82 = getelementptr inbounds double, ptr %v8, i64 0
  %v83 = load double, ptr %v82, align 8
  %v84 = fsub double 0x3ff0000000000000, %v83
  %v85 = fptrunc double %v84 to float
  %v86 = getelementptr inbounds double, ptr %v9, i64 0
  %v87 = load double, ptr %v86, align 8
  %v88 = fptrunc double %v87 to float
  %v89 = getelementptr inbounds double, ptr %v9, i64 0
  %v90 = load double, ptr %v89, align 8
  %v91 = fsub double 0x3ff0000000000000, %v90
  %v92 = fptrunc double %v91 to float
  %v93 = fpext float %v81 to double
  %v94 = getelementptr inbounds double, ptr %v9, i64 0
  %v95 = load double, ptr %v94, align 8
  %v96 = call double @g13(double %v95, double %v93)
  %v97 = fsub double 0x3ff0000000000000, %v96
  %v98 = call double @g14(double %v97)
  %v99 = fptrunc double %v98 to float
  %v100 = getelementptr inbounds double, ptr %v8, i64 0
  %v101 = load double, ptr %v100, align 8
  %v102 = call double @g13(double %v101, double %v93)
  %v103 = fsub double 0x3ff0000000000000, %v102
  %v104 = getelementptr inbounds double, ptr %v10, i64 0
  %v105 = load double, ptr %v104, align 8
  %v106 = fdiv double %v105, %v103
  %v107 = fneg double %v106
  %v108 = fptrunc double %v107 to float
  %v109 = getelementptr inbounds float, ptr %v11, i64 0
  %v110 = load float, ptr %v109, align 4
  %v111 = fadd float %v110, 0x3ff0000000000000
  %v112 = fpext float %v111 to double
  %v113 = getelementptr inbounds double, ptr %v9, i64 0
  %v114 = load double, ptr %v113, align 8
  %v115 = call double @g13(double %v114, double %v112)
  %v116 = fsub double 0x3ff0000000000000, %v115
  %v117 = call double @g14(double %v116)
  %v118 = fptrunc double %v117 to float
  %v119 = getelementptr inbounds double, ptr %v8, i64 0
  %v120 = load double, ptr %v119, align 8
  %v121 = call double @g13(double %v120, double %v112)
  %v122 = fsub double 0x3ff0000000000000, %v121
  %v123 = getelementptr inbounds double, ptr %v10, i64 0
  %v124 = load double, ptr %v123, align 8
  %v125 = fdiv double %v124, %v122
  %v126 = fneg double %v125
  %v127 = fptrunc double %v126 to float
  %v128 = getelementptr inbounds float, ptr %v12, i64 0
  %v129 = load float, ptr %v128, align 4
  %v130 = fadd float %v129, 0x3ff0000000000000
  %v131 = fpext float %v130 to double
  %v132 = getelementptr inbounds double, ptr %v9, i64 0
  %v133 = load double, ptr %v132, align 8
  %v134 = call double @g13(double %v133, double %v131)
  %v135 = fsub double 0x3ff0000000000000, %v134
  %v136 = call double @g14(double %v135)
  %v137 = fptrunc double %v136 to float
  %v138 = getelementptr inbounds double, ptr %v8, i64 0
  %v139 = load double, ptr %v138, align 8
  %v140 = call double @g13(double %v139, double %v131)
  %v141 = fsub double 0x3ff0000000000000, %v140
  %v142 = getelementptr inbounds double, ptr %v10, i64 0
  %v143 = load double, ptr %v142, align 8
  %v144 = fdiv double %v143, %v141
  %v145 = fneg double %v144
  %v146 = fptrunc double %v145 to float
  %v147 = getelementptr inbounds float, ptr %v13, i64 0
  %v148 = load float, ptr %v147, align 4
  %v149 = fadd float %v148, 0x3ff0000000000000
  %v150 = fpext float %v149 to double
  %v151 = getelementptr inbounds double, ptr %v9, i64 0
  %v152 = load double, ptr %v151, align 8
  %v153 = call double @g13(double %v152, double %v150)
  %v154 = fsub double 0x3ff0000000000000, %v153
  %v155 = call double @g14(double %v154)
  %v156 = fptrunc double %v155 to float
  %v157 = getelementptr inbounds double, ptr %v8, i64 0
  %v158 = load double, ptr %v157, align 8
  %v159 = call double @g13(double %v158, double %v150)
  %v160 = fsub double 0x3ff0000000000000, %v159
  %v161 = getelementptr inbounds double, ptr %v10, i64 0
  %v162 = load double, ptr %v161, align 8
  %v163 = fdiv double %v162, %v160
  %v164 = fneg double %v163
  %v165 = fptrunc double %v164 to float
  %v166 = getelementptr inbounds float, ptr %v14, i64 0
  %v167 = load float, ptr %v166, align 4
  %v168 = fadd float %v167, 0x3ff0000000000000
  %v169 = fpext float %v168 to double
  %v170 = getelementptr inbounds double, ptr %v9, i64 0
  %v171 = load double, ptr %v170, align 8
  %v172 = call double @g13(double %v171, double %v169)
  %v173 = fsub double 0x3ff0000000000000, %v172
  %v174 = call double @g14(double %v173)
  %v175 = fptrunc double %v174 to float
  %v176 = getelementptr inbounds double, ptr %v8, i64 0
  %v177 = load double, ptr %v176, align 8
  %v178 = call double @g13(double %v177, double %v169)
  %v179 = fsub double 0x3ff0000000000000, %v178
  %v180 = getelementptr inbounds double, ptr %v10, i64 0
  %v181 = load double, ptr %v180, align 8
  %v182 = fdiv double %v181, %v179
  %v183 = fneg double %v182
  %v184 = fptrunc double %v183 to float
  %v185 = getelementptr inbounds float, ptr %v15, i64 0
  %v186 = load float, ptr %v185, align 4
  %v187 = fadd float %v186, 0x3ff0000000000000
  %v188 = fpext float %v187 to double
  %v189 = getelementptr inbounds double, ptr %v9, i64 0
  %v190 = load double, ptr %v189, align 8
  %v191 = call double @g13(double %v190, double %v188)
  %v192 = fsub double 0x3ff0000000000000, %v191
  %v193 = call double @g14(double %v192)
  %v194 = fptrunc double %v193 to float
  %v195 = getelementptr inbounds double, ptr %v8, i64 0
  %v196 = load double, ptr %v195, align 8
  %v197 = call double @g13(double %v196, double %v188)
  %v198 = fsub double 0x3ff0000000000000, %v197
  %v199 = getelementptr inbounds double, ptr %v10, i64 0
  %v200 = load double, ptr %v199, align 8
  %v201 = fdiv double %v200, %v198
  %v202 = fneg double %v201
  %v203 = fptrunc double %v202 to float
  %v204 = getelementptr inbounds float, ptr %v7, i64 0
  store float %v81, ptr %v204, align 4
  %v205 = getelementptr inbounds float, ptr %v16, i64 0
  store float %v85, ptr %v205, align 4
  %v206 = getelementptr inbounds float, ptr %v17, i64 0
  store float %v88, ptr %v206, align 4
  %v207 = getelementptr inbounds float, ptr %v18, i64 0
  store float %v92, ptr %v207, align 4
  %v208 = getelementptr inbounds float, ptr %v19, i64 0
  store float %v99, ptr %v208, align 4
  %v209 = getelementptr inbounds float, ptr %v20, i64 0
  store float %v108, ptr %v209, align 4
  %v210 = getelementptr inbounds float, ptr %v11, i64 0
  store float %v111, ptr %v210, align 4
  %v211 = getelementptr inbounds float, ptr %v21, i64 0
  store float %v118, ptr %v211, align 4
  %v212 = getelementptr inbounds float, ptr %v22, i64 0
  store float %v127, ptr %v212, align 4
  %v213 = getelementptr inbounds float, ptr %v12, i64 0
  store float %v130, ptr %v213, align 4
  %v214 = getelementptr inbounds float, ptr %v23, i64 0
  store float %v137, ptr %v214, align 4
  %v215 = getelementptr inbounds float, ptr %v24, i64 0
  store float %v146, ptr %v215, align 4
  %v216 = getelementptr inbounds float, ptr %v13, i64 0
  store float %v149, ptr %v216, align 4
  %v217 = getelementptr inbounds float, ptr %v25, i64 0
  store float %v156, ptr %v217, align 4
  %v218 = getelementptr inbounds float, ptr %v26, i64 0
  store float %v165, ptr %v218, align 4
  %v219 = getelementptr inbounds float, ptr %v14, i64 0
  store float %v168, ptr %v219, align 4
  %v220 = getelementptr inbounds float, ptr %v27, i64 0
  store float %v175, ptr %v220, align 4
  %v221 = getelementptr inbounds float, ptr %v28, i64 0
  store float %v184, ptr %v221, align 4
  %v222 = getelementptr inbounds float, ptr %v15, i64 0
  store float %v187, ptr %v222, align 4
  %v223 = getelementptr inbounds float, ptr %v29, i64 0
  store float %v194, ptr %v223, align 4
  %v224 = getelementptr inbounds float, ptr %v30, i64 0
  store float %v203, ptr %v224, align 4
  ret void
}

declare double @g13(double %v225, double %v226)

declare double @g14(double %v225)

define void @g15(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2) noinline nounwind
{
v3:
  br label %v4
v5:
  br label %v6
v7:
  %v8 = phi  i64 [0, %v4], [%v9, %v6]
  %v10 = getelementptr inbounds float, ptr %v0, i64 0
  %v11 = load float, ptr %v10, align 4
  %v12 = getelementptr inbounds float, ptr %v1, i64 %v8
  %v13 = load float, ptr %v12, align 4
  %v14 = fmul float %v11, %v13
  %v15 = fneg float %v14
  %v16 = getelementptr inbounds float, ptr %v2, i64 %v8
  store float %v15, ptr %v16, align 4
  %v9 = add nuw nsw i64 %v8, 1
  %v17 = icmp slt i64 %v9, 64
  br i1 %v17, label %v6, label %v18
v19:
  ret void
}

define void @g16(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2) noinline nounwind
{
v3:
  br label %v4
v5:
  br label %v6
v7:
  %v8 = phi  i64 [0, %v4], [%v9, %v6]
  %v10 = getelementptr inbounds float, ptr %v0, i64 %v8
  store float              0x0, ptr %v10, align 4
  %v9 = add nuw nsw i64 %v8, 1
  %v11 = icmp slt i64 %v9, 640
  br i1 %v11, label %v6, label %v12, !llvm.loop !1
v13:
  br label %v14
v15:
  %v16 = phi  i64 [0, %v12], [%v17, %v14]
  %v18 = getelementptr inbounds i64, ptr %v1, i64 %v16
  %v19 = load i64, ptr %v18, align 8
  %v20 = icmp sgt i64 %v19, 0
  %v21 = select  i1 %v20, i64 %v19, i64 0
  %v22 = icmp slt i64 %v21, 9
  %v23 = select  i1 %v22, i64 %v21, i64 9
  %v24 = mul i64 %v16, 10
  %v25 = add i64 %v24, %v23
  %v26 = getelementptr inbounds float, ptr %v0, i64 %v25
  %v27 = load float, ptr %v26, align 4
  %v28 = getelementptr inbounds float, ptr %v2, i64 %v16
  %v29 = load float, ptr %v28, align 4
  %v30 = fadd float %v27, %v29
  %v31 = mul i64 %v16, 10
  %v32 = add i64 %v31, %v23
  %v33 = getelementptr inbounds float, ptr %v0, i64 %v32
  store float %v30, ptr %v33, align 4
  %v17 = add nuw nsw i64 %v16, 1
  %v34 = icmp slt i64 %v17, 64
  br i1 %v34, label %v14, label %v35
v36:
  ret void
}

define void @g17(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  %v5 = alloca float
  br label %v6
v7:
  br label %v8
v9:
  %v10 = phi  i64 [0, %v6], [%v11, %v12]
  store float              0x0, float* %v5
  br label %v13
v14:
  br label %v15
v16:
  %v17 = phi  i64 [0, %v8], [%v18, %v13]
  %v19 = mul i64 %v10, 10
  %v20 = add i64 %v19, %v17
  %v21 = getelementptr inbounds float, ptr %v0, i64 %v20
  %v22 = load float, ptr %v21, align 4
  %v23 = fneg float %v22
  %v24 = load float, float* %v5
  %v25 = fadd reassoc float %v24, %v23
  store float %v25, float* %v5
  %v18 = add nuw nsw i64 %v17, 1
  %v26 = icmp slt i64 %v18, 10
  br i1 %v26, label %v13, label %v12
v27:
  %v28 = load float, float* %v5
  %v29 = getelementptr inbounds float, ptr %v1, i64 %v10
  store float %v28, ptr %v29, align 4
  %v11 = add nuw nsw i64 %v10, 1
  %v30 = icmp slt i64 %v11, 64
  br i1 %v30, label %v8, label %v31, !llvm.loop !1
v32:
  %v33 = phi  i64 [0, %v31], [%v34, %v15]
  %v35 = getelementptr inbounds float, ptr %v1, i64 %v33
  %v36 = load float, ptr %v35, align 4
  %v37 = getelementptr inbounds float, ptr %v2, i64 %v33
  %v38 = load float, ptr %v37, align 4
  %v39 = fdiv float %v36, %v38
  %v40 = getelementptr inbounds float, ptr %v3, i64 %v33
  store float %v39, ptr %v40, align 4
  %v34 = add nuw nsw i64 %v33, 1
  %v41 = icmp slt i64 %v34, 64
  br i1 %v41, label %v15, label %v42
v43:
  ret void
}

define void @g18(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, ptr noalias %v6, ptr noalias %v7, ptr noalias %v8, ptr noalias %v9, ptr noalias %v10, ptr noalias %v11, ptr noalias %v12, ptr noalias %v13) noinline nounwind
{
v14:
  br label %v15
v16:
  br label %v17
v18:
  %v19 = phi  i64 [0, %v15], [%v20, %v17]
  %v21 = getelementptr inbounds float, ptr %v0, i64 %v19
  store float              0x0, ptr %v21, align 4
  %v20 = add nuw nsw i64 %v19, 1
  %v22 = icmp slt i64 %v20, 10
  br i1 %v22, label %v17, label %v23
v24:
  br label %v25
v26:
  %v27 = phi  i64 [0, %v23], [%v28, %v29]
  br label %v30
v31:
  br label %v32
v33:
  %v34 = phi  i64 [0, %v25], [%v35, %v30]
  %v36 = getelementptr inbounds float, ptr %v1, i64 %v27
  %v37 = load float, ptr %v36, align 4
  %v38 = mul i64 %v27, 10
  %v39 = add i64 %v38, %v34
  %v40 = getelementptr inbounds float, ptr %v2, i64 %v39
  %v41 = load float, ptr %v40, align 4
  %v42 = fmul float %v37, %v41
  %v43 = mul i64 %v27, 10
  %v44 = add i64 %v43, %v34
  %v45 = getelementptr inbounds float, ptr %v3, i64 %v44
  %v46 = load float, ptr %v45, align 4
  %v47 = fadd float %v46, %v42
  %v48 = mul i64 %v27, 10
  %v49 = add i64 %v48, %v34
  %v50 = getelementptr inbounds float, ptr %v4, i64 %v49
  store float %v47, ptr %v50, align 4
  %v51 = getelementptr inbounds float, ptr %v0, i64 %v34
  %v52 = load float, ptr %v51, align 4
  %v53 = fadd float %v52, %v47
  %v54 = getelementptr inbounds float, ptr %v0, i64 %v34
  store float %v53, ptr %v54, align 4
  %v35 = add nuw nsw i64 %v34, 1
  %v55 = icmp slt i64 %v35, 10
  br i1 %v55, label %v30, label %v29
v56:
  %v28 = add nuw nsw i64 %v27, 1
  %v57 = icmp slt i64 %v28, 64
  br i1 %v57, label %v25, label %v58, !llvm.loop !1
v59:
  %v60 = phi  i64 [0, %v58], [%v61, %v32]
  %v62 = getelementptr inbounds float, ptr %v0, i64 %v60
  %v63 = load float, ptr %v62, align 4
  %v64 = getelementptr inbounds float, ptr %v5, i64 %v60
  %v65 = load float, ptr %v64, align 4
  %v66 = fsub float %v63, %v65
  %v67 = getelementptr inbounds float, ptr %v6, i64 0
  %v68 = load float, ptr %v67, align 4
  %v69 = fmul float %v66, %v68
  %v70 = getelementptr inbounds float, ptr %v5, i64 %v60
  %v71 = load float, ptr %v70, align 4
  %v72 = fadd float %v71, %v69
  %v73 = getelementptr inbounds float, ptr %v7, i64 %v60
  %v74 = load float, ptr %v73, align 4
  %v75 = getelementptr inbounds float, ptr %v8, i64 0
  %v76 = load float, ptr %v75, align 4
  %v77 = fmul float %v74, %v76
  %v78 = getelementptr inbounds float, ptr %v0, i64 %v60
  %v79 = load float, ptr %v78, align 4
  %v80 = getelementptr inbounds float, ptr %v9, i64 0
  %v81 = load float, ptr %v80, align 4
  %v82 = fmul float %v79, %v81
  %v83 = getelementptr inbounds float, ptr %v0, i64 %v60
  %v84 = load float, ptr %v83, align 4
  %v85 = fmul float %v82, %v84
  %v86 = fadd float %v77, %v85
  %v87 = getelementptr inbounds float, ptr %v10, i64 0
  %v88 = load float, ptr %v87, align 4
  %v89 = fmul float %v72, %v88
  %v90 = call float @g19(float %v86)
  %v91 = getelementptr inbounds float, ptr %v11, i64 0
  %v92 = load float, ptr %v91, align 4
  %v93 = fdiv float %v90, %v92
  %v94 = getelementptr inbounds double, ptr %v12, i64 0
  %v95 = load double, ptr %v94, align 8
  %v96 = fptrunc double %v95 to float
  %v97 = fadd float %v93, %v96
  %v98 = fdiv float %v89, %v97
  %v99 = getelementptr inbounds float, ptr %v13, i64 %v60
  %v100 = load float, ptr %v99, align 4
  %v101 = fadd float %v100, %v98
  %v102 = getelementptr inbounds float, ptr %v5, i64 %v60
  store float %v72, ptr %v102, align 4
  %v103 = getelementptr inbounds float, ptr %v7, i64 %v60
  store float %v86, ptr %v103, align 4
  %v104 = getelementptr inbounds float, ptr %v13, i64 %v60
  store float %v101, ptr %v104, align 4
  %v61 = add nuw nsw i64 %v60, 1
  %v105 = icmp slt i64 %v61, 10
  br i1 %v105, label %v32, label %v106
v107:
  ret void
}

declare float @g19(float %v108)

define void @g20(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  br label %v5
v6:
  %v7 = getelementptr inbounds float, ptr %v0, i64 0
  %v8 = getelementptr inbounds float, ptr %v1, i64 0
  %v9 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 64, i64 64, i64 10, ptr %v7, i64 10, i64 1, ptr %v8, i64 64, i64 1, ptr %v9, i64 64, i32 0)
  br label %v10
v11:
  %v12 = phi  i64 [0, %v5], [%v13, %v10]
  %v14 = getelementptr inbounds i8, ptr %v3, i64 %v12
  %v15 = load i8, ptr %v14, align 1
  %v16 = icmp ne i8 %v15, 0
  %v17 = getelementptr inbounds float, ptr %v2, i64 %v12
  %v18 = load float, ptr %v17, align 4
  %v19 = select  i1 %v16, float %v18, float              0x0
  %v20 = getelementptr inbounds float, ptr %v2, i64 %v12
  store float %v19, ptr %v20, align 4
  %v13 = add nuw nsw i64 %v12, 1
  %v21 = icmp slt i64 %v13, 4096
  br i1 %v21, label %v10, label %v22, !llvm.loop !1
v23:
  ret void
}

define void @g21(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, ptr noalias %v6, ptr noalias %v7, ptr noalias %v8, ptr noalias %v9, ptr noalias %v10) noinline nounwind
{
v11:
  br label %v12
v13:
  br label %v14
v15:
  %v16 = phi  i64 [0, %v12], [%v17, %v14]
  %v18 = getelementptr inbounds float, ptr %v0, i64 %v16
  store float              0x0, ptr %v18, align 4
  %v17 = add nuw nsw i64 %v16, 1
  %v19 = icmp slt i64 %v17, 64
  br i1 %v19, label %v14, label %v20
v21:
  br label %v22
v23:
  %v24 = phi  i64 [0, %v20], [%v25, %v26]
  br label %v27
v28:
  br label %v29
v30:
  %v31 = phi  i64 [0, %v22], [%v32, %v27]
  %v33 = getelementptr inbounds float, ptr %v0, i64 %v31
  %v34 = load float, ptr %v33, align 4
  %v35 = mul i64 %v24, 64
  %v36 = add i64 %v35, %v31
  %v37 = getelementptr inbounds float, ptr %v1, i64 %v36
  %v38 = load float, ptr %v37, align 4
  %v39 = fadd float %v34, %v38
  %v40 = getelementptr inbounds float, ptr %v0, i64 %v31
  store float %v39, ptr %v40, align 4
  %v32 = add nuw nsw i64 %v31, 1
  %v41 = icmp slt i64 %v32, 64
  br i1 %v41, label %v27, label %v26
v42:
  %v25 = add nuw nsw i64 %v24, 1
  %v43 = icmp slt i64 %v25, 64
  br i1 %v43, label %v22, label %v44, !llvm.loop !1
v45:
  %v46 = phi  i64 [0, %v44], [%v47, %v29]
  %v48 = getelementptr inbounds float, ptr %v0, i64 %v46
  %v49 = load float, ptr %v48, align 4
  %v50 = getelementptr inbounds float, ptr %v2, i64 %v46
  %v51 = load float, ptr %v50, align 4
  %v52 = fsub float %v49, %v51
  %v53 = getelementptr inbounds float, ptr %v3, i64 0
  %v54 = load float, ptr %v53, align 4
  %v55 = fmul float %v52, %v54
  %v56 = getelementptr inbounds float, ptr %v2, i64 %v46
  %v57 = load float, ptr %v56, align 4
  %v58 = fadd float %v57, %v55
  %v59 = getelementptr inbounds float, ptr %v4, i64 %v46
  %v60 = load float, ptr %v59, align 4
  %v61 = getelementptr inbounds float, ptr %v5, i64 0
  %v62 = load float, ptr %v61, align 4
  %v63 = fmul float %v60, %v62
  %v64 = getelementptr inbounds float, ptr %v0, i64 %v46
  %v65 = load float, ptr %v64, align 4
  %v66 = getelementptr inbounds float, ptr %v6, i64 0
  %v67 = load float, ptr %v66, align 4
  %v68 = fmul float %v65, %v67
  %v69 = getelementptr inbounds float, ptr %v0, i64 %v46
  %v70 = load float, ptr %v69, align 4
  %v71 = fmul float %v68, %v70
  %v72 = fadd float %v63, %v71
  %v73 = getelementptr inbounds float, ptr %v7, i64 0
  %v74 = load float, ptr %v73, align 4
  %v75 = fmul float %v58, %v74
  %v76 = call float @g19(float %v72)
  %v77 = getelementptr inbounds float, ptr %v8, i64 0
  %v78 = load float, ptr %v77, align 4
  %v79 = fdiv float %v76, %v78
  %v80 = getelementptr inbounds double, ptr %v9, i64 0
  %v81 = load double, ptr %v80, align 8
  %v82 = fptrunc double %v81 to float
  %v83 = fadd float %v79, %v82
  %v84 = fdiv float %v75, %v83
  %v85 = getelementptr inbounds float, ptr %v10, i64 %v46
  %v86 = load float, ptr %v85, align 4
  %v87 = fadd float %v86, %v84
  %v88 = getelementptr inbounds float, ptr %v2, i64 %v46
  store float %v58, ptr %v88, align 4
  %v89 = getelementptr inbounds float, ptr %v4, i64 %v46
  store float %v72, ptr %v89, align 4
  %v90 = getelementptr inbounds float, ptr %v10, i64 %v46
  store float %v87, ptr %v90, align 4
  %v47 = add nuw nsw i64 %v46, 1
  %v91 = icmp slt i64 %v47, 64
  br i1 %v91, label %v29, label %v92
v93:
  ret void
}

define void @g22(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  br label %v5
v6:
  %v7 = getelementptr inbounds float, ptr %v0, i64 0
  %v8 = getelementptr inbounds float, ptr %v1, i64 0
  %v9 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 64, i64 128, i64 64, ptr %v7, i64 64, i64 1, ptr %v8, i64 128, i64 1, ptr %v9, i64 128, i32 0)
  br label %v10
v11:
  %v12 = phi  i64 [0, %v5], [%v13, %v10]
  %v14 = getelementptr inbounds i8, ptr %v3, i64 %v12
  %v15 = load i8, ptr %v14, align 1
  %v16 = icmp ne i8 %v15, 0
  %v17 = getelementptr inbounds float, ptr %v2, i64 %v12
  %v18 = load float, ptr %v17, align 4
  %v19 = select  i1 %v16, float %v18, float              0x0
  %v20 = getelementptr inbounds float, ptr %v2, i64 %v12
  store float %v19, ptr %v20, align 4
  %v13 = add nuw nsw i64 %v12, 1
  %v21 = icmp slt i64 %v13, 8192
  br i1 %v21, label %v10, label %v22, !llvm.loop !1
v23:
  ret void
}

define void @g23(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, ptr noalias %v6, ptr noalias %v7, ptr noalias %v8, ptr noalias %v9, ptr noalias %v10) noinline nounwind
{
v11:
  br label %v12
v13:
  br label %v14
v15:
  %v16 = phi  i64 [0, %v12], [%v17, %v14]
  %v18 = getelementptr inbounds float, ptr %v0, i64 %v16
  store float              0x0, ptr %v18, align 4
  %v17 = add nuw nsw i64 %v16, 1
  %v19 = icmp slt i64 %v17, 128
  br i1 %v19, label %v14, label %v20, !llvm.loop !1
v21:
  br label %v22
v23:
  %v24 = phi  i64 [0, %v20], [%v25, %v26]
  br label %v27
v28:
  br label %v29
v30:
  %v31 = phi  i64 [0, %v22], [%v32, %v27]
  %v33 = getelementptr inbounds float, ptr %v0, i64 %v31
  %v34 = load float, ptr %v33, align 4
  %v35 = mul i64 %v24, 128
  %v36 = add i64 %v35, %v31
  %v37 = getelementptr inbounds float, ptr %v1, i64 %v36
  %v38 = load float, ptr %v37, align 4
  %v39 = fadd float %v34, %v38
  %v40 = getelementptr inbounds float, ptr %v0, i64 %v31
  store float %v39, ptr %v40, align 4
  %v32 = add nuw nsw i64 %v31, 1
  %v41 = icmp slt i64 %v32, 128
  br i1 %v41, label %v27, label %v26, !llvm.loop !1
v42:
  %v25 = add nuw nsw i64 %v24, 1
  %v43 = icmp slt i64 %v25, 64
  br i1 %v43, label %v22, label %v44, !llvm.loop !1
v45:
  %v46 = phi  i64 [0, %v44], [%v47, %v29]
  %v48 = getelementptr inbounds float, ptr %v0, i64 %v46
  %v49 = load float, ptr %v48, align 4
  %v50 = getelementptr inbounds float, ptr %v2, i64 %v46
  %v51 = load float, ptr %v50, align 4
  %v52 = fsub float %v49, %v51
  %v53 = getelementptr inbounds float, ptr %v3, i64 0
  %v54 = load float, ptr %v53, align 4
  %v55 = fmul float %v52, %v54
  %v56 = getelementptr inbounds float, ptr %v2, i64 %v46
  %v57 = load float, ptr %v56, align 4
  %v58 = fadd float %v57, %v55
  %v59 = getelementptr inbounds float, ptr %v4, i64 %v46
  %v60 = load float, ptr %v59, align 4
  %v61 = getelementptr inbounds float, ptr %v5, i64 0
  %v62 = load float, ptr %v61, align 4
  %v63 = fmul float %v60, %v62
  %v64 = getelementptr inbounds float, ptr %v0, i64 %v46
  %v65 = load float, ptr %v64, align 4
  %v66 = getelementptr inbounds float, ptr %v6, i64 0
  %v67 = load float, ptr %v66, align 4
  %v68 = fmul float %v65, %v67
  %v69 = getelementptr inbounds float, ptr %v0, i64 %v46
  %v70 = load float, ptr %v69, align 4
  %v71 = fmul float %v68, %v70
  %v72 = fadd float %v63, %v71
  %v73 = getelementptr inbounds float, ptr %v7, i64 0
  %v74 = load float, ptr %v73, align 4
  %v75 = fmul float %v58, %v74
  %v76 = call float @g19(float %v72)
  %v77 = getelementptr inbounds float, ptr %v8, i64 0
  %v78 = load float, ptr %v77, align 4
  %v79 = fdiv float %v76, %v78
  %v80 = getelementptr inbounds double, ptr %v9, i64 0
  %v81 = load double, ptr %v80, align 8
  %v82 = fptrunc double %v81 to float
  %v83 = fadd float %v79, %v82
  %v84 = fdiv float %v75, %v83
  %v85 = getelementptr inbounds float, ptr %v10, i64 %v46
  %v86 = load float, ptr %v85, align 4
  %v87 = fadd float %v86, %v84
  %v88 = getelementptr inbounds float, ptr %v2, i64 %v46
  store float %v58, ptr %v88, align 4
  %v89 = getelementptr inbounds float, ptr %v4, i64 %v46
  store float %v72, ptr %v89, align 4
  %v90 = getelementptr inbounds float, ptr %v10, i64 %v46
  store float %v87, ptr %v90, align 4
  %v47 = add nuw nsw i64 %v46, 1
  %v91 = icmp slt i64 %v47, 128
  br i1 %v91, label %v29, label %v92, !llvm.loop !1
v93:
  ret void
}

define void @g24(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, ptr noalias %v6, ptr noalias %v7, ptr noalias %v8, ptr noalias %v9, ptr noalias %v10, ptr noalias %v11) noinline nounwind
{
v12:
  %v13 = alloca ptr, i32 12
  br label %v14
v15:
  %v16 = getelementptr inbounds float, ptr %v0, i64 0
  %v17 = getelementptr inbounds float, ptr %v1, i64 0
  %v18 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 128, i64 784, i64 64, ptr %v16, i64 1, i64 128, ptr %v17, i64 784, i64 1, ptr %v18, i64 784, i32 0)
  %v19 = getelementptr inbounds ptr, ptr %v13, i64 0
  store ptr %v0, ptr %v19
  %v20 = getelementptr inbounds ptr, ptr %v13, i64 1
  store ptr %v1, ptr %v20
  %v21 = getelementptr inbounds ptr, ptr %v13, i64 2
  store ptr %v2, ptr %v21
  %v22 = getelementptr inbounds ptr, ptr %v13, i64 3
  store ptr %v3, ptr %v22
  %v23 = getelementptr inbounds ptr, ptr %v13, i64 4
  store ptr %v4, ptr %v23
  %v24 = getelementptr inbounds ptr, ptr %v13, i64 5
  store ptr %v5, ptr %v24
  %v25 = getelementptr inbounds ptr, ptr %v13, i64 6
  store ptr %v6, ptr %v25
  %v26 = getelementptr inbounds ptr, ptr %v13, i64 7
  store ptr %v7, ptr %v26
  %v27 = getelementptr inbounds ptr, ptr %v13, i64 8
  store ptr %v8, ptr %v27
  %v28 = getelementptr inbounds ptr, ptr %v13, i64 9
  store ptr %v9, ptr %v28
  %v29 = getelementptr inbounds ptr, ptr %v13, i64 10
  store ptr %v10, ptr %v29
  %v30 = getelementptr inbounds ptr, ptr %v13, i64 11
  store ptr %v11, ptr %v30
  call void @g25(void (ptr, i64, i64)* @g26, ptr %v13, i64 100352, i64 3856)
  ret void
}

define internal void @g27(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, ptr noalias %v6, ptr noalias %v7, ptr noalias %v8, ptr noalias %v9, ptr noalias %v10, ptr noalias %v11, i64 %v12, i64 %v13) nounwind
{
v14:
  br label %v15
v16:
  %v17 = icmp slt i64 %v12, %v13
  br i1 %v17, label %v18, label %v19
v20:
  %v21 = phi  i64 [%v12, %v15], [%v22, %v18]
  %v23 = getelementptr inbounds float, ptr %v2, i64 %v21
  %v24 = load float, ptr %v23, align 4
  %v25 = getelementptr inbounds float, ptr %v3, i64 %v21
  %v26 = load float, ptr %v25, align 4
  %v27 = fsub float %v24, %v26
  %v28 = getelementptr inbounds float, ptr %v4, i64 0
  %v29 = load float, ptr %v28, align 4
  %v30 = fmul float %v27, %v29
  %v31 = getelementptr inbounds float, ptr %v3, i64 %v21
  %v32 = load float, ptr %v31, align 4
  %v33 = fadd float %v32, %v30
  %v34 = getelementptr inbounds float, ptr %v5, i64 %v21
  %v35 = load float, ptr %v34, align 4
  %v36 = getelementptr inbounds float, ptr %v6, i64 0
  %v37 = load float, ptr %v36, align 4
  %v38 = fmul float %v35, %v37
  %v39 = getelementptr inbounds float, ptr %v2, i64 %v21
  %v40 = load float, ptr %v39, align 4
  %v41 = getelementptr inbounds float, ptr %v7, i64 0
  %v42 = load float, ptr %v41, align 4
  %v43 = fmul float %v40, %v42
  %v44 = getelementptr inbounds float, ptr %v2, i64 %v21
  %v45 = load float, ptr %v44, align 4
  %v46 = fmul float %v43, %v45
  %v47 = fadd float %v38, %v46
  %v48 = getelementptr inbounds float, ptr %v8, i64 0
  %v49 = load float, ptr %v48, align 4
  %v50 = fmul float %v33, %v49
  %v51 = call float @g19(float %v47)
  %v52 = getelementptr inbounds float, ptr %v9, i64 0
  %v53 = load float, ptr %v52, align 4
  %v54 = fdiv float %v51, %v53
  %v55 = getelementptr inbounds double, ptr %v10, i64 0
  %v56 = load double, ptr %v55, align 8
  %v57 = fptrunc double %v56 to float
  %v58 = fadd float %v54, %v57
  %v59 = fdiv float %v50, %v58
  %v60 = getelementptr inbounds float, ptr %v11, i64 %v21
  %v61 = load float, ptr %v60, align 4
  %v62 = fadd float %v61, %v59
  %v63 = getelementptr inbounds float, ptr %v3, i64 %v21
  store float %v33, ptr %v63, align 4
  %v64 = getelementptr inbounds float, ptr %v5, i64 %v21
  store float %v47, ptr %v64, align 4
  %v65 = getelementptr inbounds float, ptr %v11, i64 %v21
  store float %v62, ptr %v65, align 4
  %v22 = add nuw nsw i64 %v21, 1
  %v66 = icmp slt i64 %v22, %v13
  br i1 %v66, label %v18, label %v19, !llvm.loop !1
v67:
  ret void
}

define internal void @g26(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v13 = load ptr, ptr %v12
  %v14 = getelementptr inbounds ptr, ptr %v0, i64 5
  %v15 = load ptr, ptr %v14
  %v16 = getelementptr inbounds ptr, ptr %v0, i64 6
  %v17 = load ptr, ptr %v16
  %v18 = getelementptr inbounds ptr, ptr %v0, i64 7
  %v19 = load ptr, ptr %v18
  %v20 = getelementptr inbounds ptr, ptr %v0, i64 8
  %v21 = load ptr, ptr %v20
  %v22 = getelementptr inbounds ptr, ptr %v0, i64 9
  %v23 = load ptr, ptr %v22
  %v24 = getelementptr inbounds ptr, ptr %v0, i64 10
  %v25 = load ptr, ptr %v24
  %v26 = getelementptr inbounds ptr, ptr %v0, i64 11
  %v27 = load ptr, ptr %v26
  call void @g27(ptr %v5, ptr %v7, ptr %v9, ptr %v11, ptr %v13, ptr %v15, ptr %v17, ptr %v19, ptr %v21, ptr %v23, ptr %v25, ptr %v27, i64 %v1, i64 %v2)
  ret void
}

declare void @g25(void (ptr, i64, i64)* %v0, ptr %v1, i64 %v2, i64 %v28)

define void @g28(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, ptr noalias %v6, ptr noalias %v7, ptr noalias %v8, ptr noalias %v9, ptr noalias %v10, ptr noalias %v11) noinline nounwind
{
v12:
  %v13 = alloca ptr, i32 12
  br label %v14
v15:
  %v16 = getelementptr inbounds float, ptr %v0, i64 0
  %v17 = getelementptr inbounds float, ptr %v1, i64 0
  %v18 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 64, i64 128, i64 64, ptr %v16, i64 1, i64 64, ptr %v17, i64 128, i64 1, ptr %v18, i64 128, i32 0)
  %v19 = getelementptr inbounds ptr, ptr %v13, i64 0
  store ptr %v0, ptr %v19
  %v20 = getelementptr inbounds ptr, ptr %v13, i64 1
  store ptr %v1, ptr %v20
  %v21 = getelementptr inbounds ptr, ptr %v13, i64 2
  store ptr %v2, ptr %v21
  %v22 = getelementptr inbounds ptr, ptr %v13, i64 3
  store ptr %v3, ptr %v22
  %v23 = getelementptr inbounds ptr, ptr %v13, i64 4
  store ptr %v4, ptr %v23
  %v24 = getelementptr inbounds ptr, ptr %v13, i64 5
  store ptr %v5, ptr %v24
  %v25 = getelementptr inbounds ptr, ptr %v13, i64 6
  store ptr %v6, ptr %v25
  %v26 = getelementptr inbounds ptr, ptr %v13, i64 7
  store ptr %v7, ptr %v26
  %v27 = getelementptr inbounds ptr, ptr %v13, i64 8
  store ptr %v8, ptr %v27
  %v28 = getelementptr inbounds ptr, ptr %v13, i64 9
  store ptr %v9, ptr %v28
  %v29 = getelementptr inbounds ptr, ptr %v13, i64 10
  store ptr %v10, ptr %v29
  %v30 = getelementptr inbounds ptr, ptr %v13, i64 11
  store ptr %v11, ptr %v30
  call void @g25(void (ptr, i64, i64)* @g29, ptr %v13, i64 8192, i64 3856)
  ret void
}

define internal void @g30(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, ptr noalias %v6, ptr noalias %v7, ptr noalias %v8, ptr noalias %v9, ptr noalias %v10, ptr noalias %v11, i64 %v12, i64 %v13) nounwind
{
v14:
  br label %v15
v16:
  %v17 = icmp slt i64 %v12, %v13
  br i1 %v17, label %v18, label %v19
v20:
  %v21 = phi  i64 [%v12, %v15], [%v22, %v18]
  %v23 = getelementptr inbounds float, ptr %v2, i64 %v21
  %v24 = load float, ptr %v23, align 4
  %v25 = getelementptr inbounds float, ptr %v3, i64 %v21
  %v26 = load float, ptr %v25, align 4
  %v27 = fsub float %v24, %v26
  %v28 = getelementptr inbounds float, ptr %v4, i64 0
  %v29 = load float, ptr %v28, align 4
  %v30 = fmul float %v27, %v29
  %v31 = getelementptr inbounds float, ptr %v3, i64 %v21
  %v32 = load float, ptr %v31, align 4
  %v33 = fadd float %v32, %v30
  %v34 = getelementptr inbounds float, ptr %v5, i64 %v21
  %v35 = load float, ptr %v34, align 4
  %v36 = getelementptr inbounds float, ptr %v6, i64 0
  %v37 = load float, ptr %v36, align 4
  %v38 = fmul float %v35, %v37
  %v39 = getelementptr inbounds float, ptr %v2, i64 %v21
  %v40 = load float, ptr %v39, align 4
  %v41 = getelementptr inbounds float, ptr %v7, i64 0
  %v42 = load float, ptr %v41, align 4
  %v43 = fmul float %v40, %v42
  %v44 = getelementptr inbounds float, ptr %v2, i64 %v21
  %v45 = load float, ptr %v44, align 4
  %v46 = fmul float %v43, %v45
  %v47 = fadd float %v38, %v46
  %v48 = getelementptr inbounds float, ptr %v8, i64 0
  %v49 = load float, ptr %v48, align 4
  %v50 = fmul float %v33, %v49
  %v51 = call float @g19(float %v47)
  %v52 = getelementptr inbounds float, ptr %v9, i64 0
  %v53 = load float, ptr %v52, align 4
  %v54 = fdiv float %v51, %v53
  %v55 = getelementptr inbounds double, ptr %v10, i64 0
  %v56 = load double, ptr %v55, align 8
  %v57 = fptrunc double %v56 to float
  %v58 = fadd float %v54, %v57
  %v59 = fdiv float %v50, %v58
  %v60 = getelementptr inbounds float, ptr %v11, i64 %v21
  %v61 = load float, ptr %v60, align 4
  %v62 = fadd float %v61, %v59
  %v63 = getelementptr inbounds float, ptr %v3, i64 %v21
  store float %v33, ptr %v63, align 4
  %v64 = getelementptr inbounds float, ptr %v5, i64 %v21
  store float %v47, ptr %v64, align 4
  %v65 = getelementptr inbounds float, ptr %v11, i64 %v21
  store float %v62, ptr %v65, align 4
  %v22 = add nuw nsw i64 %v21, 1
  %v66 = icmp slt i64 %v22, %v13
  br i1 %v66, label %v18, label %v19, !llvm.loop !1
v67:
  ret void
}

define internal void @g29(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v13 = load ptr, ptr %v12
  %v14 = getelementptr inbounds ptr, ptr %v0, i64 5
  %v15 = load ptr, ptr %v14
  %v16 = getelementptr inbounds ptr, ptr %v0, i64 6
  %v17 = load ptr, ptr %v16
  %v18 = getelementptr inbounds ptr, ptr %v0, i64 7
  %v19 = load ptr, ptr %v18
  %v20 = getelementptr inbounds ptr, ptr %v0, i64 8
  %v21 = load ptr, ptr %v20
  %v22 = getelementptr inbounds ptr, ptr %v0, i64 9
  %v23 = load ptr, ptr %v22
  %v24 = getelementptr inbounds ptr, ptr %v0, i64 10
  %v25 = load ptr, ptr %v24
  %v26 = getelementptr inbounds ptr, ptr %v0, i64 11
  %v27 = load ptr, ptr %v26
  call void @g30(ptr %v5, ptr %v7, ptr %v9, ptr %v11, ptr %v13, ptr %v15, ptr %v17, ptr %v19, ptr %v21, ptr %v23, ptr %v25, ptr %v27, i64 %v1, i64 %v2)
  ret void
}

define void @g31(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, ptr noalias %v5, ptr noalias %v6, ptr noalias %v7, ptr noalias %v8, ptr noalias %v9, ptr noalias %v10, ptr noalias %v11) noinline nounwind
{
v12:
  br label %v13
v14:
  %v15 = getelementptr inbounds float, ptr %v0, i64 0
  %v16 = getelementptr inbounds float, ptr %v1, i64 0
  %v17 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 10, i64 64, i64 64, ptr %v15, i64 1, i64 10, ptr %v16, i64 64, i64 1, ptr %v17, i64 64, i32 0)
  br label %v18
v19:
  %v20 = phi  i64 [0, %v13], [%v21, %v18]
  %v22 = getelementptr inbounds float, ptr %v2, i64 %v20
  %v23 = load float, ptr %v22, align 4
  %v24 = getelementptr inbounds float, ptr %v3, i64 %v20
  %v25 = load float, ptr %v24, align 4
  %v26 = fsub float %v23, %v25
  %v27 = getelementptr inbounds float, ptr %v4, i64 0
  %v28 = load float, ptr %v27, align 4
  %v29 = fmul float %v26, %v28
  %v30 = getelementptr inbounds float, ptr %v3, i64 %v20
  %v31 = load float, ptr %v30, align 4
  %v32 = fadd float %v31, %v29
  %v33 = getelementptr inbounds float, ptr %v5, i64 %v20
  %v34 = load float, ptr %v33, align 4
  %v35 = getelementptr inbounds float, ptr %v6, i64 0
  %v36 = load float, ptr %v35, align 4
  %v37 = fmul float %v34, %v36
  %v38 = getelementptr inbounds float, ptr %v2, i64 %v20
  %v39 = load float, ptr %v38, align 4
  %v40 = getelementptr inbounds float, ptr %v7, i64 0
  %v41 = load float, ptr %v40, align 4
  %v42 = fmul float %v39, %v41
  %v43 = getelementptr inbounds float, ptr %v2, i64 %v20
  %v44 = load float, ptr %v43, align 4
  %v45 = fmul float %v42, %v44
  %v46 = fadd float %v37, %v45
  %v47 = getelementptr inbounds float, ptr %v8, i64 0
  %v48 = load float, ptr %v47, align 4
  %v49 = fmul float %v32, %v48
  %v50 = call float @g19(float %v46)
  %v51 = getelementptr inbounds float, ptr %v9, i64 0
  %v52 = load float, ptr %v51, align 4
  %v53 = fdiv float %v50, %v52
  %v54 = getelementptr inbounds double, ptr %v10, i64 0
  %v55 = load double, ptr %v54, align 8
  %v56 = fptrunc double %v55 to float
  %v57 = fadd float %v53, %v56
  %v58 = fdiv float %v49, %v57
  %v59 = getelementptr inbounds float, ptr %v11, i64 %v20
  %v60 = load float, ptr %v59, align 4
  %v61 = fadd float %v60, %v58
  %v62 = getelementptr inbounds float, ptr %v3, i64 %v20
  store float %v32, ptr %v62, align 4
  %v63 = getelementptr inbounds float, ptr %v5, i64 %v20
  store float %v46, ptr %v63, align 4
  %v64 = getelementptr inbounds float, ptr %v11, i64 %v20
  store float %v61, ptr %v64, align 4
  %v21 = add nuw nsw i64 %v20, 1
  %v65 = icmp slt i64 %v21, 640
  br i1 %v65, label %v18, label %v66, !llvm.loop !1
v67:
  ret void
}

define void @g32(ptr %v0) nounwind
{
v1:
  %v2 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v3 = load ptr, ptr %v2
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 36
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 37
  %v11 = load ptr, ptr %v10
  call void @g0(ptr %v3, ptr %v5, ptr %v7, ptr %v9, ptr %v11)
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 36
  %v13 = load ptr, ptr %v12
  %v14 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v15 = load ptr, ptr %v14
  %v16 = getelementptr inbounds ptr, ptr %v0, i64 38
  %v17 = load ptr, ptr %v16
  %v18 = getelementptr inbounds ptr, ptr %v0, i64 5
  %v19 = load ptr, ptr %v18
  %v20 = getelementptr inbounds ptr, ptr %v0, i64 39
  %v21 = load ptr, ptr %v20
  call void @g2(ptr %v13, ptr %v15, ptr %v17, ptr %v19, ptr %v21)
  %v22 = getelementptr inbounds ptr, ptr %v0, i64 38
  %v23 = load ptr, ptr %v22
  %v24 = getelementptr inbounds ptr, ptr %v0, i64 6
  %v25 = load ptr, ptr %v24
  %v26 = getelementptr inbounds ptr, ptr %v0, i64 40
  %v27 = load ptr, ptr %v26
  %v28 = getelementptr inbounds ptr, ptr %v0, i64 7
  %v29 = load ptr, ptr %v28
  call void @g3(ptr %v23, ptr %v25, ptr %v27, ptr %v29)
  %v30 = getelementptr inbounds ptr, ptr %v0, i64 40
  %v31 = load ptr, ptr %v30
  %v32 = getelementptr inbounds ptr, ptr %v0, i64 41
  %v33 = load ptr, ptr %v32
  call void @g4(ptr %v31, ptr %v33)
  %v34 = getelementptr inbounds ptr, ptr %v0, i64 40
  %v35 = load ptr, ptr %v34
  %v36 = getelementptr inbounds ptr, ptr %v0, i64 41
  %v37 = load ptr, ptr %v36
  %v38 = getelementptr inbounds ptr, ptr %v0, i64 42
  %v39 = load ptr, ptr %v38
  %v40 = getelementptr inbounds ptr, ptr %v0, i64 43
  %v41 = load ptr, ptr %v40
  %v42 = getelementptr inbounds ptr, ptr %v0, i64 44
  %v43 = load ptr, ptr %v42
  %v44 = getelementptr inbounds ptr, ptr %v0, i64 45
  %v45 = load ptr, ptr %v44
  call void @g6(ptr %v35, ptr %v37, ptr %v39, ptr %v41, ptr %v43, ptr %v45)
  %v46 = getelementptr inbounds ptr, ptr %v0, i64 42
  %v47 = load ptr, ptr %v46
  %v48 = getelementptr inbounds ptr, ptr %v0, i64 45
  %v49 = load ptr, ptr %v48
  %v50 = getelementptr inbounds ptr, ptr %v0, i64 46
  %v51 = load ptr, ptr %v50
  call void @g9(ptr %v47, ptr %v49, ptr %v51)
  %v52 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v53 = load ptr, ptr %v52
  %v54 = getelementptr inbounds ptr, ptr %v0, i64 47
  %v55 = load ptr, ptr %v54
  call void @g10(ptr %v53, ptr %v55)
  %v56 = getelementptr inbounds ptr, ptr %v0, i64 47
  %v57 = load ptr, ptr %v56
  %v58 = getelementptr inbounds ptr, ptr %v0, i64 76
  %v59 = load ptr, ptr %v58
  %v60 = getelementptr inbounds ptr, ptr %v0, i64 46
  %v61 = load ptr, ptr %v60
  %v62 = getelementptr inbounds ptr, ptr %v0, i64 48
  %v63 = load ptr, ptr %v62
  call void @g11(ptr %v57, ptr %v59, ptr %v61, ptr %v63)
  %v64 = getelementptr inbounds ptr, ptr %v0, i64 76
  %v65 = load ptr, ptr %v64
  %v66 = load i64, ptr %v65
  %v67 = icmp ne i64 %v66, 0
  br i1 %v67, label %v68, label %v69
v70:
  ret void
v71:
  %v72 = getelementptr inbounds ptr, ptr %v0, i64 48
  %v73 = load ptr, ptr %v72
  %v74 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v75 = load ptr, ptr %v74
  %v76 = getelementptr inbounds ptr, ptr %v0, i64 49
  %v77 = load ptr, ptr %v76
  %v78 = getelementptr inbounds ptr, ptr %v0, i64 50
  %v79 = load ptr, ptr %v78
  %v80 = getelementptr inbounds ptr, ptr %v0, i64 51
  %v81 = load ptr, ptr %v80
  %v82 = getelementptr inbounds ptr, ptr %v0, i64 52
  %v83 = load ptr, ptr %v82
  %v84 = getelementptr inbounds ptr, ptr %v0, i64 53
  %v85 = load ptr, ptr %v84
  %v86 = getelementptr inbounds ptr, ptr %v0, i64 8
  %v87 = load ptr, ptr %v86
  %v88 = getelementptr inbounds ptr, ptr %v0, i64 10
  %v89 = load ptr, ptr %v88
  %v90 = getelementptr inbounds ptr, ptr %v0, i64 11
  %v91 = load ptr, ptr %v90
  %v92 = getelementptr inbounds ptr, ptr %v0, i64 13
  %v93 = load ptr, ptr %v92
  %v94 = getelementptr inbounds ptr, ptr %v0, i64 15
  %v95 = load ptr, ptr %v94
  %v96 = getelementptr inbounds ptr, ptr %v0, i64 18
  %v97 = load ptr, ptr %v96
  %v98 = getelementptr inbounds ptr, ptr %v0, i64 21
  %v99 = load ptr, ptr %v98
  %v100 = getelementptr inbounds ptr, ptr %v0, i64 24
  %v101 = load ptr, ptr %v100
  %v102 = getelementptr inbounds ptr, ptr %v0, i64 27
  %v103 = load ptr, ptr %v102
  %v104 = getelementptr inbounds ptr, ptr %v0, i64 54
  %v105 = load ptr, ptr %v104
  %v106 = getelementptr inbounds ptr, ptr %v0, i64 55
  %v107 = load ptr, ptr %v106
  %v108 = getelementptr inbounds ptr, ptr %v0, i64 56
  %v109 = load ptr, ptr %v108
  %v110 = getelementptr inbounds ptr, ptr %v0, i64 57
  %v111 = load ptr, ptr %v110
  %v112 = getelementptr inbounds ptr, ptr %v0, i64 58
  %v113 = load ptr, ptr %v112
  %v114 = getelementptr inbounds ptr, ptr %v0, i64 59
  %v115 = load ptr, ptr %v114
  %v116 = getelementptr inbounds ptr, ptr %v0, i64 60
  %v117 = load ptr, ptr %v116
  %v118 = getelementptr inbounds ptr, ptr %v0, i64 61
  %v119 = load ptr, ptr %v118
  %v120 = getelementptr inbounds ptr, ptr %v0, i64 62
  %v121 = load ptr, ptr %v120
  %v122 = getelementptr inbounds ptr, ptr %v0, i64 63
  %v123 = load ptr, ptr %v122
  %v124 = getelementptr inbounds ptr, ptr %v0, i64 64
  %v125 = load ptr, ptr %v124
  %v126 = getelementptr inbounds ptr, ptr %v0, i64 65
  %v127 = load ptr, ptr %v126
  %v128 = getelementptr inbounds ptr, ptr %v0, i64 66
  %v129 = load ptr, ptr %v128
  %v130 = getelementptr inbounds ptr, ptr %v0, i64 67
  %v131 = load ptr, ptr %v130
  %v132 = getelementptr inbounds ptr, ptr %v0, i64 68
  %v133 = load ptr, ptr %v132
  call void @g12(ptr %v73, ptr %v75, ptr %v77, ptr %v79, ptr %v81, ptr %v83, ptr %v85, ptr %v87, ptr %v89, ptr %v91, ptr %v93, ptr %v95, ptr %v97, ptr %v99, ptr %v101, ptr %v103, ptr %v105, ptr %v107, ptr %v109, ptr %v111, ptr %v113, ptr %v115, ptr %v117, ptr %v119, ptr %v121, ptr %v123, ptr %v125, ptr %v127, ptr %v129, ptr %v131, ptr %v133)
  %v134 = getelementptr inbounds ptr, ptr %v0, i64 53
  %v135 = load ptr, ptr %v134
  %v136 = getelementptr inbounds ptr, ptr %v0, i64 49
  %v137 = load ptr, ptr %v136
  %v138 = getelementptr inbounds ptr, ptr %v0, i64 69
  %v139 = load ptr, ptr %v138
  call void @g15(ptr %v135, ptr %v137, ptr %v139)
  %v140 = getelementptr inbounds ptr, ptr %v0, i64 70
  %v141 = load ptr, ptr %v140
  %v142 = getelementptr inbounds ptr, ptr %v0, i64 47
  %v143 = load ptr, ptr %v142
  %v144 = getelementptr inbounds ptr, ptr %v0, i64 69
  %v145 = load ptr, ptr %v144
  call void @g16(ptr %v141, ptr %v143, ptr %v145)
  %v146 = getelementptr inbounds ptr, ptr %v0, i64 70
  %v147 = load ptr, ptr %v146
  %v148 = getelementptr inbounds ptr, ptr %v0, i64 71
  %v149 = load ptr, ptr %v148
  %v150 = getelementptr inbounds ptr, ptr %v0, i64 44
  %v151 = load ptr, ptr %v150
  %v152 = getelementptr inbounds ptr, ptr %v0, i64 72
  %v153 = load ptr, ptr %v152
  call void @g17(ptr %v147, ptr %v149, ptr %v151, ptr %v153)
  %v154 = getelementptr inbounds ptr, ptr %v0, i64 35
  %v155 = load ptr, ptr %v154
  %v156 = getelementptr inbounds ptr, ptr %v0, i64 72
  %v157 = load ptr, ptr %v156
  %v158 = getelementptr inbounds ptr, ptr %v0, i64 43
  %v159 = load ptr, ptr %v158
  %v160 = getelementptr inbounds ptr, ptr %v0, i64 70
  %v161 = load ptr, ptr %v160
  %v162 = getelementptr inbounds ptr, ptr %v0, i64 73
  %v163 = load ptr, ptr %v162
  %v164 = getelementptr inbounds ptr, ptr %v0, i64 28
  %v165 = load ptr, ptr %v164
  %v166 = getelementptr inbounds ptr, ptr %v0, i64 54
  %v167 = load ptr, ptr %v166
  %v168 = getelementptr inbounds ptr, ptr %v0, i64 29
  %v169 = load ptr, ptr %v168
  %v170 = getelementptr inbounds ptr, ptr %v0, i64 55
  %v171 = load ptr, ptr %v170
  %v172 = getelementptr inbounds ptr, ptr %v0, i64 56
  %v173 = load ptr, ptr %v172
  %v174 = getelementptr inbounds ptr, ptr %v0, i64 68
  %v175 = load ptr, ptr %v174
  %v176 = getelementptr inbounds ptr, ptr %v0, i64 67
  %v177 = load ptr, ptr %v176
  %v178 = getelementptr inbounds ptr, ptr %v0, i64 14
  %v179 = load ptr, ptr %v178
  %v180 = getelementptr inbounds ptr, ptr %v0, i64 7
  %v181 = load ptr, ptr %v180
  call void @g18(ptr %v155, ptr %v157, ptr %v159, ptr %v161, ptr %v163, ptr %v165, ptr %v167, ptr %v169, ptr %v171, ptr %v173, ptr %v175, ptr %v177, ptr %v179, ptr %v181)
  %v182 = getelementptr inbounds ptr, ptr %v0, i64 73
  %v183 = load ptr, ptr %v182
  %v184 = getelementptr inbounds ptr, ptr %v0, i64 6
  %v185 = load ptr, ptr %v184
  %v186 = getelementptr inbounds ptr, ptr %v0, i64 74
  %v187 = load ptr, ptr %v186
  %v188 = getelementptr inbounds ptr, ptr %v0, i64 39
  %v189 = load ptr, ptr %v188
  call void @g20(ptr %v183, ptr %v185, ptr %v187, ptr %v189)
  %v190 = getelementptr inbounds ptr, ptr %v0, i64 33
  %v191 = load ptr, ptr %v190
  %v192 = getelementptr inbounds ptr, ptr %v0, i64 74
  %v193 = load ptr, ptr %v192
  %v194 = getelementptr inbounds ptr, ptr %v0, i64 22
  %v195 = load ptr, ptr %v194
  %v196 = getelementptr inbounds ptr, ptr %v0, i64 54
  %v197 = load ptr, ptr %v196
  %v198 = getelementptr inbounds ptr, ptr %v0, i64 23
  %v199 = load ptr, ptr %v198
  %v200 = getelementptr inbounds ptr, ptr %v0, i64 55
  %v201 = load ptr, ptr %v200
  %v202 = getelementptr inbounds ptr, ptr %v0, i64 56
  %v203 = load ptr, ptr %v202
  %v204 = getelementptr inbounds ptr, ptr %v0, i64 64
  %v205 = load ptr, ptr %v204
  %v206 = getelementptr inbounds ptr, ptr %v0, i64 63
  %v207 = load ptr, ptr %v206
  %v208 = getelementptr inbounds ptr, ptr %v0, i64 14
  %v209 = load ptr, ptr %v208
  %v210 = getelementptr inbounds ptr, ptr %v0, i64 5
  %v211 = load ptr, ptr %v210
  call void @g21(ptr %v191, ptr %v193, ptr %v195, ptr %v197, ptr %v199, ptr %v201, ptr %v203, ptr %v205, ptr %v207, ptr %v209, ptr %v211)
  %v212 = getelementptr inbounds ptr, ptr %v0, i64 74
  %v213 = load ptr, ptr %v212
  %v214 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v215 = load ptr, ptr %v214
  %v216 = getelementptr inbounds ptr, ptr %v0, i64 75
  %v217 = load ptr, ptr %v216
  %v218 = getelementptr inbounds ptr, ptr %v0, i64 37
  %v219 = load ptr, ptr %v218
  call void @g22(ptr %v213, ptr %v215, ptr %v217, ptr %v219)
  %v220 = getelementptr inbounds ptr, ptr %v0, i64 31
  %v221 = load ptr, ptr %v220
  %v222 = getelementptr inbounds ptr, ptr %v0, i64 75
  %v223 = load ptr, ptr %v222
  %v224 = getelementptr inbounds ptr, ptr %v0, i64 16
  %v225 = load ptr, ptr %v224
  %v226 = getelementptr inbounds ptr, ptr %v0, i64 54
  %v227 = load ptr, ptr %v226
  %v228 = getelementptr inbounds ptr, ptr %v0, i64 17
  %v229 = load ptr, ptr %v228
  %v230 = getelementptr inbounds ptr, ptr %v0, i64 55
  %v231 = load ptr, ptr %v230
  %v232 = getelementptr inbounds ptr, ptr %v0, i64 56
  %v233 = load ptr, ptr %v232
  %v234 = getelementptr inbounds ptr, ptr %v0, i64 60
  %v235 = load ptr, ptr %v234
  %v236 = getelementptr inbounds ptr, ptr %v0, i64 59
  %v237 = load ptr, ptr %v236
  %v238 = getelementptr inbounds ptr, ptr %v0, i64 14
  %v239 = load ptr, ptr %v238
  %v240 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v241 = load ptr, ptr %v240
  call void @g23(ptr %v221, ptr %v223, ptr %v225, ptr %v227, ptr %v229, ptr %v231, ptr %v233, ptr %v235, ptr %v237, ptr %v239, ptr %v241)
  %v242 = getelementptr inbounds ptr, ptr %v0, i64 75
  %v243 = load ptr, ptr %v242
  %v244 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v245 = load ptr, ptr %v244
  %v246 = getelementptr inbounds ptr, ptr %v0, i64 30
  %v247 = load ptr, ptr %v246
  %v248 = getelementptr inbounds ptr, ptr %v0, i64 9
  %v249 = load ptr, ptr %v248
  %v250 = getelementptr inbounds ptr, ptr %v0, i64 54
  %v251 = load ptr, ptr %v250
  %v252 = getelementptr inbounds ptr, ptr %v0, i64 12
  %v253 = load ptr, ptr %v252
  %v254 = getelementptr inbounds ptr, ptr %v0, i64 55
  %v255 = load ptr, ptr %v254
  %v256 = getelementptr inbounds ptr, ptr %v0, i64 56
  %v257 = load ptr, ptr %v256
  %v258 = getelementptr inbounds ptr, ptr %v0, i64 58
  %v259 = load ptr, ptr %v258
  %v260 = getelementptr inbounds ptr, ptr %v0, i64 57
  %v261 = load ptr, ptr %v260
  %v262 = getelementptr inbounds ptr, ptr %v0, i64 14
  %v263 = load ptr, ptr %v262
  %v264 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v265 = load ptr, ptr %v264
  call void @g24(ptr %v243, ptr %v245, ptr %v247, ptr %v249, ptr %v251, ptr %v253, ptr %v255, ptr %v257, ptr %v259, ptr %v261, ptr %v263, ptr %v265)
  %v266 = getelementptr inbounds ptr, ptr %v0, i64 74
  %v267 = load ptr, ptr %v266
  %v268 = getelementptr inbounds ptr, ptr %v0, i64 36
  %v269 = load ptr, ptr %v268
  %v270 = getelementptr inbounds ptr, ptr %v0, i64 32
  %v271 = load ptr, ptr %v270
  %v272 = getelementptr inbounds ptr, ptr %v0, i64 19
  %v273 = load ptr, ptr %v272
  %v274 = getelementptr inbounds ptr, ptr %v0, i64 54
  %v275 = load ptr, ptr %v274
  %v276 = getelementptr inbounds ptr, ptr %v0, i64 20
  %v277 = load ptr, ptr %v276
  %v278 = getelementptr inbounds ptr, ptr %v0, i64 55
  %v279 = load ptr, ptr %v278
  %v280 = getelementptr inbounds ptr, ptr %v0, i64 56
  %v281 = load ptr, ptr %v280
  %v282 = getelementptr inbounds ptr, ptr %v0, i64 62
  %v283 = load ptr, ptr %v282
  %v284 = getelementptr inbounds ptr, ptr %v0, i64 61
  %v285 = load ptr, ptr %v284
  %v286 = getelementptr inbounds ptr, ptr %v0, i64 14
  %v287 = load ptr, ptr %v286
  %v288 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v289 = load ptr, ptr %v288
  call void @g28(ptr %v267, ptr %v269, ptr %v271, ptr %v273, ptr %v275, ptr %v277, ptr %v279, ptr %v281, ptr %v283, ptr %v285, ptr %v287, ptr %v289)
  %v290 = getelementptr inbounds ptr, ptr %v0, i64 73
  %v291 = load ptr, ptr %v290
  %v292 = getelementptr inbounds ptr, ptr %v0, i64 38
  %v293 = load ptr, ptr %v292
  %v294 = getelementptr inbounds ptr, ptr %v0, i64 34
  %v295 = load ptr, ptr %v294
  %v296 = getelementptr inbounds ptr, ptr %v0, i64 25
  %v297 = load ptr, ptr %v296
  %v298 = getelementptr inbounds ptr, ptr %v0, i64 54
  %v299 = load ptr, ptr %v298
  %v300 = getelementptr inbounds ptr, ptr %v0, i64 26
  %v301 = load ptr, ptr %v300
  %v302 = getelementptr inbounds ptr, ptr %v0, i64 55
  %v303 = load ptr, ptr %v302
  %v304 = getelementptr inbounds ptr, ptr %v0, i64 56
  %v305 = load ptr, ptr %v304
  %v306 = getelementptr inbounds ptr, ptr %v0, i64 66
  %v307 = load ptr, ptr %v306
  %v308 = getelementptr inbounds ptr, ptr %v0, i64 65
  %v309 = load ptr, ptr %v308
  %v310 = getelementptr inbounds ptr, ptr %v0, i64 14
  %v311 = load ptr, ptr %v310
  %v312 = getelementptr inbounds ptr, ptr %v0, i64 6
  %v313 = load ptr, ptr %v312
  call void @g31(ptr %v291, ptr %v293, ptr %v295, ptr %v297, ptr %v299, ptr %v301, ptr %v303, ptr %v305, ptr %v307, ptr %v309, ptr %v311, ptr %v313)
  ret void
}

!0 = !{ !"llvm.loop.unroll.disable" }
!1 = !{ !1, !0 }
